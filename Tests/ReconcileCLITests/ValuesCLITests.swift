import Foundation
import ReconcileCore
import Testing

/// The bundled fleet planned from its facts, with values differing per host (05-values.yaml).
@Suite struct ValuesCLITests {
    func motd(_ plan: [String: Any]) -> String? {
        let changes = plan["changes"] as? [[String: Any]] ?? []
        let desired = changes.first { $0["address"] as? String == "File/motd" }?["desired"] as? [String: Any]
        // Content is a sha256: reference into the plan's contents, which hold it as text.
        let reference = (desired?["content"] as? String)?.dropFirst("sha256:".count)
        return reference.flatMap { (plan["contents"] as? [String: Any])?[String($0)] as? String }
    }

    @Test func theFleetIsPlannedWithEachHostsValuesAndWhereTheyCameFrom() throws {
        let out = NSTemporaryDirectory() + "reconcile-values-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try reconcile([
            "plan", "--facts", repositoryRoot + "/manifests/example/facts", "--out", out, repositoryRoot + "/manifests/example",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        func plan(_ host: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(host).json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let mx1 = try plan("mx1.example.org")
        let ci1 = try plan("ci1.example.org")
        #expect(motd(mx1)?.hasPrefix("mx1.example.org: a mail relay (Exim, some domains relayed over Tor).\n") == true, "\(motd(mx1) ?? "none")")
        #expect(motd(ci1)?.hasPrefix("ci1.example.org: a GitLab CI runner (jobs in podman).\n") == true, "\(motd(ci1) ?? "none")")
        let value = (mx1["values"] as? [String: Any])?["motdRole"] as? [String: Any]
        #expect(value?["document"] as? String == "mail-relays")
        #expect((value?["source"] as? String)?.hasSuffix("manifests/example/05-values.yaml:14:13") == true, "\(value ?? [:])")

        let shown = try reconcile(["values", "--facts", repositoryRoot + "/manifests/example/facts", repositoryRoot + "/manifests/example"])
        #expect(shown.status == 0 && shown.stdout.contains("Values for host ci1.example.org (role=ci, runner=podman):\n  motdRole = \"a GitLab CI runner (jobs in podman)\"  (ci-runners, "), "\(shown.stdout)")
    }
}
