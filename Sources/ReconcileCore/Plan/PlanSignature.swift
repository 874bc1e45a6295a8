import Foundation

/// Signatures on saved plans with the tool operators already use for git (`ssh-keygen -Y`), in
/// their own namespace so no other signature made with the same key passes for a plan's.
public enum PlanSignature {
    public static let namespace = "reconcile-plan"

    /// Where a plan's signature is kept unless told otherwise: beside it, as git and ssh-keygen do.
    public static func defaultPath(for plan: String) -> String { plan + ".sig" }

    /// The armoured signature of `data` by the private key at `key`.
    public static func sign(_ data: Data, key: String, commands: any CommandRunner) throws -> Data {
        let result = try commands.run(Command(["ssh-keygen", "-Y", "sign", "-f", key, "-n", namespace], standardInput: data))
        guard result.status == 0, !result.stdout.isEmpty else {
            throw ReconcileError.commandFailed(
                CommandFailure(argv: ["ssh-keygen", "-Y", "sign", "-f", key, "-n", namespace], status: result.status, stderr: result.stderrText))
        }
        return result.stdout
    }

    /// Checks that `data` (the bytes about to be applied, read once) carries a good signature by a
    /// key of `allowedSigners`; returns the signer's principal.
    public static func verify(
        _ data: Data, signature: String, allowedSigners: String, commands: any CommandRunner
    ) throws -> String {
        guard FileManager.default.fileExists(atPath: signature) else {
            throw ReconcileError.notAllowed(
                "the plan is not signed: \(signature) does not exist; nothing was applied. "
                    + "Sign plans with `reconcile plan --sign-key KEY --out PLAN` (or pass --signature)")
        }
        let find = try commands.run(Command(["ssh-keygen", "-Y", "find-principals", "-s", signature, "-f", allowedSigners]))
        let principals = find.stdoutText.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard find.status == 0, let principal = principals.first else {
            throw ReconcileError.notAllowed(
                "the plan's signature \(signature) is by no key in \(allowedSigners); nothing was applied. "
                    + "Apply only plans signed by a key listed there (`reconcile plan --sign-key KEY`)"
                    + Self.detail(find.stderrText))
        }
        let argv = ["ssh-keygen", "-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", namespace, "-s", signature]
        let verify = try commands.run(Command(argv, standardInput: data))
        guard verify.status == 0 else {
            throw ReconcileError.notAllowed(
                "the plan's signature \(signature) does not verify for \(principal) (the plan or the signature was changed, "
                    + "or it was made for another use); nothing was applied" + Self.detail(verify.stderrText))
        }
        return principal
    }

    private static func detail(_ stderr: String) -> String {
        let trimmed = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "" : " (ssh-keygen: \(trimmed))"
    }
}
