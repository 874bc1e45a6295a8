import ArgumentParser
import Foundation
import ReconcileCore
import ReconcileProviders

/// Completions the generated bash/zsh/fish scripts get by calling `reconcile ---completion …` on
/// TAB (ArgumentParser's `CompletionKind.custom`). The words typed so far are read with the
/// commands' own definitions, so `--root DIR` is never taken for a manifest folder; what they
/// name is read by `CompletionCandidates`, which never writes and never fails out loud.
enum ShellCompletion {
    /// Resource addresses: `plan`/`apply --target` and `forget`.
    static let addresses = CompletionKind.custom { words, index, prefix in
        let line = CommandLineSoFar(words: words, completing: index, prefix: prefix)
        return candidates.addresses(manifests: line.manifests, state: line.stateDirectory, prefix: line.prefix)
    }

    /// CaptureProxy names for `capture NAME`, from its manifests (the current directory by default).
    static let captureNames = CompletionKind.custom { words, index, prefix in
        let line = CommandLineSoFar(words: words, completing: index, prefix: prefix)
        return candidates.names(ofKind: CaptureProxyProvider.kind, manifests: line.manifests, prefix: line.prefix)
    }

    /// Kinds for `explain KIND`.
    static let kinds = CompletionKind.custom { words, index, prefix in
        candidates.kinds(schemaFolder: ExplainCommand.schemaFolder, prefix: CommandLineSoFar(words: words, completing: index, prefix: prefix).prefix)
    }

    /// A kind's keys for `explain KIND KEY`.
    static let keys = CompletionKind.custom { words, index, prefix in
        let line = CommandLineSoFar(words: words, completing: index, prefix: prefix)
        guard let kind = (line.command as? ExplainCommand)?.kind else { return [] }
        return CompletionCandidates.keys(ofKind: kind, schemaFolder: ExplainCommand.schemaFolder, prefix: line.prefix)
    }

    private static var candidates: CompletionCandidates { CompletionCandidates(registry: Providers.registry) }

    /// `reconcile ---completion …`: the candidates on stdout; on any failure nothing at all, since
    /// a message would land in the middle of the operator's command line.
    static func answer(_ arguments: [String]) -> Never {
        do {
            _ = try ReconcileCommand.parseAsRoot(arguments)
        } catch where ReconcileCommand.exitCode(for: error) == .success {
            ReconcileCommand.exit(withError: error)
        } catch {}
        Foundation.exit(1)
    }
}

/// A command whose line tells completion where its manifests and the host's state are.
protocol CompletionContext {
    var manifestsForCompletion: [String] { get }
    var stateDirectoryForCompletion: StateDirectory? { get }
}

extension PlanCommand: CompletionContext {
    var manifestsForCompletion: [String] { manifests.paths }
    var stateDirectoryForCompletion: StateDirectory? { hostOptions.stateDirectory }
}

extension ApplyCommand: CompletionContext {
    var manifestsForCompletion: [String] { manifests.paths }
    var stateDirectoryForCompletion: StateDirectory? { hostOptions.stateDirectory }
}

extension ForgetCommand: CompletionContext {
    /// `forget` acts on the inventory only.
    var manifestsForCompletion: [String] { [] }
    var stateDirectoryForCompletion: StateDirectory? { hostOptions.stateDirectory }
}

extension CaptureCommand: CompletionContext {
    var manifestsForCompletion: [String] { manifestPaths }
    var stateDirectoryForCompletion: StateDirectory? { nil }
}

/// The words of a command line being completed, parsed as the command will parse them.
struct CommandLineSoFar {
    /// Stands in for the word being completed (and, when the line does not parse yet, for the
    /// manifest paths or address not typed so far), so the rest parses; dropped from the result.
    static let placeholder = "reconcile-completion-placeholder"

    /// The parsed command, nil when the line does not parse even with the placeholders.
    let command: ParsableCommand?
    /// What the candidates must start with.
    let prefix: String

    /// `words`: the shell's words from the program's name on; `index`: the word being completed;
    /// `prefix`: ArgumentParser's, which (1.8.2) is cut from the last word even when the cursor is
    /// in an earlier one, so there the whole word being completed is the prefix.
    init(words: [String], completing index: Int, prefix: String) {
        self.prefix = index == words.count - 1 || !words.indices.contains(index) ? prefix : words[index]
        var arguments = Array(words.dropFirst())
        if arguments.indices.contains(index - 1) { arguments[index - 1] = Self.placeholder }
        command = (try? ReconcileCommand.parseAsRoot(arguments)) ?? (try? ReconcileCommand.parseAsRoot(arguments + [Self.placeholder]))
    }

    var manifests: [String] {
        ((command as? CompletionContext)?.manifestsForCompletion ?? []).filter { $0 != Self.placeholder }
    }

    /// The state folder the command would use, the default one when the line does not say.
    var stateDirectory: StateDirectory? {
        guard let command else { return .default(for: HostRoot("/")) }
        return (command as? CompletionContext)?.stateDirectoryForCompletion
    }
}
