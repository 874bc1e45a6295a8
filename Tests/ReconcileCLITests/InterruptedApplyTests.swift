import Foundation
import ReconcileCore
import Testing

/// The binary killed with SIGKILL at many points of a 2,000-file apply: each time the next plan
/// tells the interruption, a plain re-run converges and removes its temp files, the plan after is empty.
@Suite(.serialized) struct InterruptedApplyTests {
    static let count = 2000

    static func manifest(round: Int) -> String {
        (0..<count).map { "kind: File\nname: f\($0)\npath: /data/d\($0 % 20)/f\($0)\ncontent: \"file \($0) round \(round)\\n\"\n" }
            .joined(separator: "---\n")
    }

    /// Starts an apply with output discarded (2,000 progress lines would fill a pipe).
    static func startApply(_ stage: Stage) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryPath)
        process.arguments = ["apply", "--auto-approve", "--root", stage.root, stage.manifest]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Steps the running apply finished, read from the journal past `offset`.
    static func stepsDone(_ journal: String, from offset: UInt64) -> Int {
        guard let handle = FileHandle(forReadingAtPath: journal) else { return 0 }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd() else { return 0 }
        return String(decoding: data, as: UTF8.self).components(separatedBy: "\"event\":\"step-done\"").count - 1
    }

    enum KillPoint: CustomStringConvertible {
        case afterSteps(Int)
        case afterSeconds(Double)

        var description: String {
            switch self {
            case .afterSteps(let steps): return "after \(steps) steps in the journal"
            case .afterSeconds(let seconds): return "after \(seconds) s"
            }
        }
    }

    /// Every temp-file name reconcile makes, anywhere under the root (state folder included).
    static func tempFiles(under root: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.contains(".reconcile-") || name.hasPrefix("check-") { found.append(path) }
        }
        return found
    }

    @Test func killedAtManyPointsEveryRerunConverges() throws {
        let stage = Stage()
        let journal = stage.root + "/var/lib/reconcile/journal.jsonl"
        let points: [KillPoint] = [
            // The last step point leaves the apply a quarter of its steps: on a loaded machine the
            // journal is polled seldom enough that 1,850 of 2,000 was sometimes already the end.
            .afterSteps(0), .afterSteps(1), .afterSteps(300), .afterSteps(700), .afterSteps(1100), .afterSteps(1500),
            .afterSeconds(0.2), .afterSeconds(0.6),
        ]
        var killed = 0
        var converged = 0
        for (round, point) in points.enumerated() {
            try stage.writeManifest(Self.manifest(round: round))
            let offset = (try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? UInt64) ?? 0
            let apply = try Self.startApply(stage)
            let started = Date()
            while apply.isRunning {
                let due: Bool
                switch point {
                case .afterSteps(let steps):
                    due = Self.stepsDone(journal, from: offset) >= steps
                        && FileManager.default.fileExists(atPath: stage.root + "/var/lib/reconcile/apply-running.json")
                case .afterSeconds(let seconds):
                    due = Date().timeIntervalSince(started) >= seconds
                }
                if due { break }
                usleep(5000)
            }
            guard apply.isRunning else {
                Issue.record("round \(round) (\(point)): the apply ended before it was killed")
                continue
            }
            kill(apply.processIdentifier, SIGKILL)
            apply.waitUntilExit()
            killed += 1
            let interrupted = FileManager.default.fileExists(atPath: stage.root + "/var/lib/reconcile/apply-running.json")
            // Right after the kill each file holds its old content or its new one, never a part:
            // writes are staged and made durable before any is renamed into place.
            let torn = (0..<Self.count).filter { index in
                let content = stage.read("/data/d\(index % 20)/f\(index)")
                return content != "file \(index) round \(round)\n" && content != (round == 0 ? nil : "file \(index) round \(round - 1)\n")
            }
            #expect(torn.isEmpty, "round \(round) (\(point)): neither old nor new: \(torn.prefix(5))")

            let plan = try reconcile(["plan", "--root", stage.root, stage.manifest])
            #expect(plan.status == 0, "\(plan.stderr)")
            if interrupted {
                #expect(plan.stderr.contains("was interrupted after step"), "round \(round): \(plan.stderr)")
            }
            let rerun = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
            #expect(rerun.status == 0, "round \(round): \(rerun.stderr)")
            if interrupted {
                #expect(rerun.stderr.contains("Recovered: the apply started at"), "round \(round): \(rerun.stderr)")
            }
            if interrupted {
                // The history tells the killed apply (marked by the re-run with how far it got) from the re-run.
                let history = try reconcile(["history", "--json", "--limit", "2", "--root", stage.root])
                let applies = (try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["applies"] as? [[String: Any]] ?? []
                // Writes are journaled a batch at a time, so a kill can land after the last step and
                // before the apply is marked complete: then the re-run has nothing to do and records nothing.
                let killedApply = applies.first { $0["result"] as? String == "interrupted" }
                let stepsDone = killedApply?["stepsDone"] as? Int
                let steps = killedApply?["steps"] as? Int
                let expected: [String?] = stepsDone != nil && stepsDone == steps
                    ? ["interrupted", applies.last?["result"] as? String] : ["complete", "interrupted"]
                #expect(applies.map { $0["result"] as? String } == expected, "round \(round): \(history.stdout)")
                #expect((killedApply?["failure"] as? [String: Any])?["message"] as? String
                    == "interrupted after step \(stepsDone ?? -1) of \(steps ?? -1)", "round \(round)")
                if stepsDone != nil && stepsDone == steps {
                    #expect(rerun.stdout.contains("No changes"), "round \(round): \(rerun.stdout)")
                }
            }
            let leftovers = Self.tempFiles(under: stage.root)
            #expect(leftovers.isEmpty, "round \(round) (\(point)): \(leftovers)")
            let wrong = (0..<Self.count).filter { stage.read("/data/d\($0 % 20)/f\($0)") != "file \($0) round \(round)\n" }
            #expect(wrong.isEmpty, "round \(round): \(wrong.prefix(5))")
            let next = try reconcile(["plan", "--detailed-exitcode", "--root", stage.root, stage.manifest])
            #expect(next.status == 0 && next.stderr.isEmpty, "round \(round): \(next.stderr)")
            if rerun.status == 0 && leftovers.isEmpty && wrong.isEmpty && next.status == 0 { converged += 1 }
        }
        print("kill test, 2,000-file apply: \(converged) converged / \(killed) killed")
        #expect(killed == points.count && converged == killed)
    }

    @Test func aCommandOfAKilledApplyStillRunningHoldsTheHost() throws {
        let stage = Stage()
        try stage.writeManifest("kind: File\nname: motd\npath: /etc/motd\ncontent: \"hi\\n\"\n")
        let state = StateDirectory(stage.root + "/var/lib/reconcile")
        let killedID = "20261206T140000-999999"
        try RunningApply(apply: killedID, startedAt: Date(timeIntervalSince1970: 1_800_000_000), pid: 999_999, steps: 3, journalOffset: 0)
            .save(state)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["60"]
        child.environment = [LockHolders.applyVariable: killedID]
        try child.run()
        defer { if child.isRunning { child.terminate() } }

        let plan = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(plan.stderr.contains("Note: the apply started at 2027-01-15T08:00:00Z (\(killedID)) was interrupted after step 0 of 3"))
        #expect(plan.stderr.contains("Still running, a child of that apply: pid \(child.processIdentifier) (/bin/sleep 60)"), "\(plan.stderr)")
        let refused = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(
            "another apply holds the lock \(state.lockPath): pid \(child.processIdentifier) (/bin/sleep 60), a child of the apply started at 2027-01-15T08:00:00Z (\(killedID), pid 999999, no longer running), which was interrupted after step 0 of 3"),
            "\(refused.stderr)")
        #expect(stage.read("/etc/motd") == nil)
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { kill(child.processIdentifier, SIGKILL) }
        let waited = try reconcile(["apply", "--auto-approve", "--lock-timeout", "30", "--root", stage.root, stage.manifest])
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(waited.stderr.contains("Recovered: the apply started at 2027-01-15T08:00:00Z (\(killedID)) was interrupted after step 0 of 3"))
        #expect(stage.read("/etc/motd") == "hi\n")
    }
}
