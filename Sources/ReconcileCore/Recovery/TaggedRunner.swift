/// Runs commands with `RECONCILE_APPLY=ID` in their environment, so one still running after its
/// apply was killed is recognised as that apply's child (`LockHolders.children`).
struct TaggedRunner: CommandRunner {
    let base: any CommandRunner
    let applyID: String

    func run(_ command: Command) throws -> CommandResult {
        try base.run(tagged(command))
    }

    func run(_ command: Command, every interval: Double, poll: () -> Bool) throws -> CommandResult {
        try base.run(tagged(command), every: interval, poll: poll)
    }

    private func tagged(_ command: Command) -> Command {
        var command = command
        command.environment[LockHolders.applyVariable] = applyID
        return command
    }
}
