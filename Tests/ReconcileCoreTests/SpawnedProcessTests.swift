import Foundation
import ReconcileCore
import Testing

/// The process layer with real processes: pipes that cannot deadlock, what a child inherits (signal
/// handling, process group, descriptors) and the teardown of a whole process group.
@Suite struct SpawnedProcessTests {
    @Test func moreThanAMebibyteOnStdoutAndStderrAtOnceComesBackWhole() throws {
        let input = Data((0..<1_500_000).map { _ in UInt8.random(in: 0...255) })
        // tee writes each block to both pipes while its stdin is still being written.
        let both = try ProcessRunner().run(Command(["tee", "/dev/stderr"], standardInput: input))
        #expect(both.status == 0)
        // Compared, not printed: a failure would show megabytes.
        #expect(both.stdout == input ? true : false, "stdout: \(both.stdout.count) bytes")
        #expect(both.stderr == input ? true : false, "stderr: \(both.stderr.count) bytes")
        // stderr filled first: a reader waiting for stdout's end before reading stderr would hang.
        let errFirst = try ProcessRunner().run(Command(["sh", "-c", "head -c 2000000 /dev/zero >&2; head -c 1500000 /dev/zero"]))
        #expect(errFirst.stderr.count == 2_000_000)
        #expect(errFirst.stdout.count == 1_500_000)
    }

    @Test func stdinIsTheGivenBytesOrDevNull() throws {
        let given = try ProcessRunner().run(Command(["cat"], standardInput: Data("to the child\n".utf8)))
        #expect(given.stdoutText == "to the child\n")
        let none = try ProcessRunner().run(Command(["readlink", "/proc/self/fd/0"]))
        #expect(none.stdoutText == "/dev/null\n")
        let unread = try ProcessRunner().run(Command(["true"], standardInput: Data(count: 1_000_000)))
        #expect(unread.status == 0, "a child that reads nothing of its input is no error")
    }

    @Test func exitStatusOutputAndEnvironment() throws {
        let result = try ProcessRunner().run(Command(
            ["sh", "-c", "echo \"$GREETING\"; echo err >&2; exit 7"], environment: ["GREETING": "hello"]))
        #expect(result == CommandResult(status: 7, stdout: Data("hello\n".utf8), stderr: Data("err\n".utf8)))
        #expect(throws: ReconcileError.commandFailed(CommandFailure(argv: ["sh", "-c", "exit 3"], status: 3, stderr: ""))) {
            try ProcessRunner().checked(["sh", "-c", "exit 3"])
        }
        let path = try ProcessRunner().run(Command(["sh", "-c", "echo \"$PATH\""]))
        #expect(path.stdoutText == (ProcessInfo.processInfo.environment["PATH"] ?? "") + "\n", "reconcile's environment is kept")
    }

    @Test func aMissingCommandIsStatus127() {
        #expect(throws: ReconcileError.commandFailed(CommandFailure(
            argv: ["no-such-command-here", "x"], status: 127, stderr: "no-such-command-here: command not found in PATH"))) {
            try ProcessRunner().run(Command(["no-such-command-here", "x"]))
        }
        #expect(throws: ReconcileError.commandFailed(CommandFailure(
            argv: ["/no/such/program"], status: 127, stderr: "cannot start: No such file or directory"))) {
            try ProcessRunner().run(Command(["/no/such/program"]))
        }
    }

    /// A child a signal ended: `CommandResult.status` is the signal's number, as Foundation gave it.
    @Test func aSignalledChildReportsTheSignal() throws {
        #expect(try ProcessRunner().run(Command(["sh", "-c", "kill -KILL $$"])).status == SIGKILL)
        let child = try SpawnedProcess.spawn(["sh", "-c", "kill -TERM $$"], output: .pipes)
        child.pipes.pump(until: nil)
        #expect(child.reap() == .signalled(SIGTERM))
        #expect(child.reap().shellStatus == 143)
    }

    /// reconcile ignores SIGPIPE, and a parent (a test runner, Foundation's `Process`) may block
    /// signals: the child starts with every signal at its default and none blocked, except that
    /// the executor's commands keep SIGPIPE ignored, to run to their end if the apply is killed.
    @Test(arguments: [false, true])
    func theChildHasDefaultSignalHandlingAndAnEmptyMask(outlivesReconcile: Bool) throws {
        let previousPIPE = signal(SIGPIPE, SIG_IGN)
        var blocked = sigset_t()
        sigemptyset(&blocked)
        for signal in [SIGINT, SIGTERM, SIGUSR1] { sigaddset(&blocked, signal) }
        var previousMask = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previousMask)
        defer {
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
            signal(SIGPIPE, previousPIPE)
        }
        let child = try SpawnedProcess.spawn(
            ["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"], output: .pipes, outlivesReconcile: outlivesReconcile)
        child.pipes.pump(until: nil)
        #expect(child.reap() == .exited(0))
        let status = CommandResult(status: 0, stdout: child.pipes.stdout)
        let masks = Dictionary(uniqueKeysWithValues: status.stdoutText.split(separator: "\n").compactMap { line -> (String, UInt64)? in
            let fields = line.split(separator: "\t")
            guard fields.count == 2, let mask = UInt64(fields[1], radix: 16) else { return nil }
            return (String(fields[0]), mask)
        })
        #expect(masks["SigBlk:"] == 0, "\(status.stdoutText)")
        // glibc's posix_spawn (2.36 here) leaves its two internal signals, 32 and 33, ignored in
        // every child, and no public call resets them; programs using glibc cannot use them anyway.
        let glibcInternal: UInt64 = 1 << 31 | 1 << 32
        let pipeBit: UInt64 = 1 << (UInt64(SIGPIPE) - 1)
        #expect(masks["SigIgn:"].map { $0 & ~glibcInternal } == (outlivesReconcile ? pipeBit : 0), "\(status.stdoutText)")
    }

    /// The executor's commands are the `outlivesReconcile` kind.
    @Test func aCommandOfTheExecutorKeepsSIGPIPEIgnored() throws {
        let previousPIPE = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previousPIPE) }
        let status = try ProcessRunner().run(Command(["grep", "-E", "^SigIgn", "/proc/self/status"]))
        let mask = status.stdoutText.split(separator: "\t").last.flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16) }
        #expect(mask.map { $0 & (1 << (UInt64(SIGPIPE) - 1)) != 0 } == true, "\(status.stdoutText)")
    }

    @Test func theChildLeadsItsOwnProcessGroup() throws {
        let child = try SpawnedProcess.spawn(["cat", "/proc/self/stat"], output: .pipes)
        child.pipes.pump(until: nil)
        #expect(child.reap() == .exited(0))
        // "pid (comm) state ppid pgrp …"
        let fields = String(decoding: child.pipes.stdout, as: UTF8.self).split(separator: ")").last?.split(separator: " ") ?? []
        #expect(fields.count > 3 && fields[1] == "\(getpid())" && fields[2] == "\(child.pid)", "\(fields.prefix(3))")
        #expect(getpgrp() != child.pid)
    }

    @Test func noDescriptorOfOursReachesTheChild() throws {
        let file = TemporaryDirectory()
        try file.write("open", "")
        // Opened without O_CLOEXEC on purpose: the child must not get it either.
        let descriptor = open(file.path + "/open", O_RDONLY)
        try #require(descriptor >= 3)
        defer { close(descriptor) }
        let listing = try ProcessRunner().run(Command(["ls", "-l", "/proc/self/fd"]))
        let links = listing.stdoutText.split(separator: "\n").filter { $0.hasPrefix("l") }.map { line in
            line.split(separator: " ").suffix(3).joined(separator: " ")
        }
        // What ls itself opens is the folder it lists.
        let extra = links.filter { !$0.hasPrefix("0 ") && !$0.hasPrefix("1 ") && !$0.hasPrefix("2 ") }
        #expect(extra.allSatisfy { $0.hasSuffix("/fd") } && extra.count <= 1, "\(links)")
        #expect(links.filter { $0.hasPrefix("0 ") || $0.hasPrefix("1 ") || $0.hasPrefix("2 ") }.map { $0.prefix(10) }
            == ["0 -> /dev/", "1 -> pipe:", "2 -> pipe:"], "\(links)")
    }

    @Test func terminateTakesDownTheWholeGroup() throws {
        // The grandchild keeps stdout open: if it outlived the teardown, the pipe would never end.
        let child = try SpawnedProcess.spawn(["sh", "-c", "sleep 1000 & echo $!; wait"], output: .pipes)
        let grandchild = try #require(pid_t(try firstLine(child)))
        #expect(isRunning(grandchild))
        #expect(child.terminate(grace: 5) == .signalled(SIGTERM))
        try #require(ends(grandchild), "the grandchild ended with its group")
        child.pipes.pump(until: nil)
        #expect(child.pipes.isFinished)
    }

    @Test func aChildIgnoringSIGTERMIsKilledAfterTheGrace() throws {
        let child = try SpawnedProcess.spawn(["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"], output: .pipes)
        #expect(try firstLine(child) == "ready")
        let started = Date()
        #expect(child.terminate(grace: 1) == .signalled(SIGKILL))
        let took = Date().timeIntervalSince(started)
        #expect(took >= 1 && took < 4, "\(took) s")
        #expect(child.terminate(grace: 1) == .signalled(SIGKILL), "asked again: the same answer, no signal sent")
    }

    /// `poll` returning false stops the command with the group teardown; the output so far is kept.
    @Test(arguments: ["", "trap '' TERM; "])
    func cancellingAPolledRunStopsTheCommandAndWhatItStarted(trap: String) throws {
        var polls = 0
        let started = Date()
        let result = try ProcessRunner(stopGrace: 1).run(
            // The grandchild's stdout elsewhere: the run would wait for the pipe's end if it survived.
            Command(["sh", "-c", trap + "sleep 1000 >/dev/null & echo $!; wait"]), every: 0.1
        ) {
            polls += 1
            return polls < 3
        }
        #expect(polls == 3)
        #expect(result.status == (trap.isEmpty ? SIGTERM : SIGKILL))
        let grandchild = try #require(pid_t(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(ends(grandchild))
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func aPolledRunEndsWhenTheCommandDoesNotAtTheNextPoll() throws {
        var polls = 0
        let started = Date()
        let result = try ProcessRunner().run(Command(["sh", "-c", "sleep 0.2; echo done"]), every: 30) {
            polls += 1
            return true
        }
        #expect(result.stdoutText == "done\n")
        #expect(polls == 1)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    // MARK: helpers

    /// The child's first line of stdout, waiting up to 10 s for it.
    func firstLine(_ child: SpawnedProcess) throws -> String {
        let deadline = Date().addingTimeInterval(10)
        while !child.pipes.stdout.contains(UInt8(ascii: "\n")) && Date() < deadline {
            child.pipes.pump(until: Date().addingTimeInterval(0.05))
        }
        let text = String(decoding: child.pipes.stdout, as: UTF8.self)
        return try #require(text.split(separator: "\n").first.map(String.init), "no line from \(child.argv)")
    }

    /// Alive and not a zombie waiting for init.
    func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count else { return false }
        return stat[close + 2] != UInt8(ascii: "Z")
    }

    /// Whether `pid` ends within 10 s.
    func ends(_ pid: pid_t) -> Bool {
        for _ in 0..<500 where isRunning(pid) { usleep(20_000) }
        return !isRunning(pid)
    }
}
