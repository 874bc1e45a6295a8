import Foundation
import ReconcileTOML

extension Executor {
    /// Reads the file as it is now, edits the one entry, writes it back atomically only if it changed.
    func editTOML(_ edit: EditTOMLStep, applyID: String) throws {
        let existing = try files.status(edit.path)
        if let existing, existing.type != .file {
            throw ReconcileError.notAllowed("\(root.resolve(edit.path)) is a \(existing.type.rawValue), not a TOML file")
        }
        // Nothing to remove from a file that is not there; and no empty file made for it.
        if existing == nil && edit.settings == nil { return }
        var original = ""
        if existing != nil {
            guard let text = String(validatingUTF8Data: try files.read(edit.path)) else {
                throw ReconcileError.notAllowed("\(root.resolve(edit.path)) is not UTF-8 text; refusing to edit it")
            }
            original = text
        }
        var document = try parsed(original, path: edit.path)
        do {
            try apply(edit, to: &document)
        } catch let error as TOMLError {
            throw ReconcileError.notAllowed("\(root.resolve(edit.path)):\(error.line):\(error.column): \(error.message)")
        }
        let uid = try edit.owner.map(uid)
        let gid = try edit.group.map(gid)
        guard existing == nil || document.text != original else {
            try files.setAttributes(edit.path, mode: edit.mode, uid: uid, gid: gid)
            return
        }
        if existing == nil {
            let parent = (edit.path as NSString).deletingLastPathComponent
            if try files.status(parent) == nil { try files.createDirectories(parent, mode: 0o755) }
        } else if edit.backup {
            try backUp(edit.path, applyID: applyID)
        }
        try files.writeAtomically(edit.path, content: Data(document.text.utf8), mode: edit.mode, uid: uid, gid: gid)
    }

    private func parsed(_ text: String, path: String) throws -> TOMLDocument {
        do {
            return try TOMLDocument(text)
        } catch let error as TOMLError {
            throw ReconcileError.notAllowed(
                "\(root.resolve(path)):\(error.line):\(error.column): \(error.message); fix the file by hand, nothing was changed")
        }
    }

    private func apply(_ edit: EditTOMLStep, to document: inout TOMLDocument) throws {
        let entry = try document.entry(of: edit.array, where: edit.matchKey, is: edit.name)
        guard let settings = edit.settings else {
            if let entry { try document.remove(entry) }
            return
        }
        let values = try settings.map { setting in
            (key: setting.key, value: try setting.value.scalar { try $0.resolve(environment: environment, files: files) })
        }
        if entry != nil {
            try document.set(values, inEntryOf: edit.array, where: edit.matchKey, is: edit.name)
        } else if edit.createEntry {
            let named = [(key: [edit.matchKey], value: TOMLScalar.string(edit.name))] + values.filter { $0.key != [edit.matchKey] }
            try document.appendEntry(to: edit.array, comment: edit.comment, settings: named)
        } else {
            throw ReconcileError.notAllowed(
                "\(root.resolve(edit.path)) has no \(edit.entryDescription) entry, and this step does not create one")
        }
        for (key, minimum) in edit.topLevelAtLeast.sorted(by: { $0.key < $1.key }) {
            let current = document.topLevel(key)?.scalar
            if case .integer(let number) = current, number >= minimum { continue }
            try document.setTopLevel(key, to: .integer(minimum))
        }
    }

    /// The secrets go into the child's environment only; its stderr is shown with them masked.
    func runWithSecrets(_ command: CommandStep, secrets: [String: SecretReference]) throws {
        var environment = command.environment
        var redactor = Redactor()
        for (name, reference) in secrets {
            let value = try reference.resolve(environment: self.environment, files: files)
            environment[name] = value
            redactor.add(value)
        }
        let result = try commands.run(Command(command.argv, environment: environment))
        guard result.status == 0 else {
            throw ReconcileError.commandFailed(CommandFailure(
                argv: command.argv, status: result.status, stderr: redactor.redact(result.stderrText + result.stdoutText)))
        }
    }
}
