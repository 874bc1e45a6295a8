import ArgumentParser
import Foundation
import ReconcileCore

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Describe the kinds and their keys, from the JSON Schemas editors use.",
        discussion: """
            `reconcile explain` lists the kinds; `explain KIND` its keys (type, required, description); \
            `explain KIND KEY` one key (nested keys with dots: cache.mode) with its allowed values. \
            Read from the schemas: $RECONCILE_SCHEMAS, /usr/share/reconcile/schemas (the package's), \
            or the source tree's beside a development build.
            """
    )

    @Argument(help: ArgumentHelp("A kind (File, LogicalVolume, ...).", valueName: "KIND"), completion: ShellCompletion.kinds)
    var kind: String?

    @Argument(help: ArgumentHelp("One of its keys; nested ones with dots (cache.mode).", valueName: "KEY"), completion: ShellCompletion.keys)
    var key: String?

    /// The schemas of this installation (or of the source tree beside a development build).
    static var schemaFolder: String? {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return KindDocumentation.schemaFolder(environment: ProcessInfo.processInfo.environment, executable: executable)
    }

    func run() throws {
        guard let folder = Self.schemaFolder else {
            Terminal.writeError("error: the JSON Schemas were not found (set RECONCILE_SCHEMAS to the folder of manifest.schema.json)")
            throw CLIExit.failure
        }
        do {
            let kinds = try KindDocumentation.kinds(in: folder)
            guard let kind else {
                let lines = try kinds.map { name in
                    let text = try KindDocumentation(kind: name, folder: folder).description
                    return "\(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(Self.firstSentence(text))"
                }
                Terminal.write("Kinds (reconcile explain KIND for its keys):\n" + lines.map { "  " + $0 }.joined(separator: "\n") + "\n")
                return
            }
            guard let name = kinds.first(where: { $0.lowercased() == kind.lowercased() }) else {
                throw ReconcileError.notAllowed(
                    "unknown kind \"\(TerminalText.escaped(kind))\"" + Suggestion.didYouMean(kind, in: kinds) + " (kinds: \(kinds.joined(separator: ", ")))")
            }
            let documentation = try KindDocumentation(kind: name, folder: folder)
            guard let key else { return Terminal.write(Self.render(documentation)) }
            guard let found = documentation.keys.first(where: { $0.path == key }) else {
                let paths = documentation.keys.map(\.path)
                throw ReconcileError.notAllowed(
                    "\(name) has no key \"\(TerminalText.escaped(key))\"" + Suggestion.didYouMean(key, in: paths) + " (keys: \(paths.joined(separator: ", ")))")
            }
            Terminal.write(Self.render(found, of: name))
        } catch let exit as ExitCodeError {
            throw exit
        } catch {
            Terminal.writeError("error: " + TerminalText.escapedKeepingLineFeeds("\(error)"))
            throw CLIExit.failure
        }
    }

    static func firstSentence(_ text: String) -> String {
        let end = text.range(of: ". ").map { text[..<$0.lowerBound] + "." } ?? Substring(text)
        return String(end)
    }

    static func render(_ documentation: KindDocumentation) -> String {
        var lines = ["kind: \(documentation.kind)", "  " + documentation.description, "", "Keys (besides kind, state, dependsOn, hosts):"]
        for key in documentation.keys {
            let depth = key.path.filter { $0 == "." }.count
            let indent = String(repeating: "  ", count: depth + 1)
            lines.append("\(indent)\(key.path.split(separator: ".").last.map(String.init) ?? key.path): \(key.type)\(key.required ? " (required)" : "")")
            if !key.description.isEmpty { lines.append("\(indent)    \(key.description)") }
        }
        lines.append("")
        lines.append("Any value may be a ${values.NAME}, ${host.name} or ${host.labels.KEY} reference (reconcile checks the resolved value).")
        return lines.joined(separator: "\n") + "\n"
    }

    static func render(_ key: KindDocumentation.Key, of kind: String) -> String {
        var lines = ["\(kind).\(key.path): \(key.type)\(key.required ? " (required)" : "")"]
        if !key.description.isEmpty { lines.append("  " + key.description) }
        lines.append(contentsOf: key.details.map { "  " + $0 })
        return lines.joined(separator: "\n") + "\n"
    }
}
