import Foundation
@testable import ReconcileCore
import ReconcileJSON
@testable import ReconcileProviders
import Testing

/// Every probed resource's observation is fingerprinted through `CanonicalEncoder`: for the kinds'
/// own observations it must write Foundation's bytes (the encoder itself: ReconcileJSONTests).
@Suite struct ObservationEncodingTests {
    static func file(_ text: String?) -> FileObservation {
        var observation = FileObservation(
            exists: true, type: .file, mode: 0o640, uid: 0, owner: "root", gid: UInt32.max, group: "wheel",
            size: Int64.max, sha256: "ab", text: text)
        observation.sourceSHA256 = text.map { _ in "cd" }
        observation.sourceProblem = text.map { "problem: \($0)" }
        observation.unknownOwner = text.map { _ in "rot" }
        observation.unknownGroup = text.map { _ in "whel" }
        return observation
    }

    static func unit(_ name: String) -> UnitObservation {
        UnitObservation(file: file("[Unit]\nDescription=\(name)\n"), unitFileState: "enabled", activeState: nil, subState: "dead")
    }

    /// Not refused, and Foundation's bytes exactly.
    private func expectFoundationBytes<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try #require(CanonicalEncoder.encode(value), sourceLocation: sourceLocation)
        #expect(Data(ours) == (try CanonicalJSON.encode(value)), sourceLocation: sourceLocation)
    }

    @Test func fileObservations() throws {
        let awkward = String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }) + "é 漢字 🙂 \u{2028} a/b\\c\"d"
        try expectFoundationBytes(Self.file(awkward))
        try expectFoundationBytes(Self.file(nil))
        try expectFoundationBytes(FileObservation.missing)
        try expectFoundationBytes(Self.unit("x"))
        try expectFoundationBytes(["/etc/b": Self.file("b"), "/etc/a": .missing])
    }

    /// FileObservation writes its own JSON; a property it does not know would be left out of fingerprints.
    @Test func fileObservationWritesEveryProperty() throws {
        #expect(Mirror(reflecting: Self.file("x")).children.count == 14)
        let object = try JSONSerialization.jsonObject(with: Data(try #require(CanonicalEncoder.encode(Self.file("x")))))
        #expect((object as? [String: Any])?.count == 14)
    }

    @Test func nestedObservations() throws {
        try expectFoundationBytes(GitLabRunnerObservation(
            scripts: [Self.file("#!/bin/sh\n"), .missing], config: RunnerConfig.Observation(
                file: Self.file(nil), directoryExists: false, problem: "two \"entries\"",
                entry: ["url": "\"https://x/\"", "limit": "2"], tokenMatches: true, concurrent: -3),
            units: [Self.unit("a"), Self.unit("b")], hostCacheDir: .missing, userExists: true, groupExists: false,
            executableRunnable: false, token: .init(isAuthenticationToken: nil, problem: nil, fileMode: 0o600)))
        try expectFoundationBytes(CaptureProxyObservation(
            tcpdump: Self.unit("t"), tcpRelay: Self.unit("r"), unixRelay: Self.unit("u"), proxy: .missing,
            socket: nil, portListeners: ["a", "b"]))
    }

    /// Every observation the example fleet's facts hold, re-encoded both ways.
    @Test func exampleFacts() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../manifests/example/facts").standardized
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(!names.isEmpty)
        var checked = 0
        for name in names {
            let path = folder.appendingPathComponent(name).path
            let document = try FactsDocument.load(from: try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
            for (address, json) in document.resources {
                let kind = String(address.prefix { $0 != "/" })
                let provider = try #require(Providers.registry.provider(for: kind))
                let observation = try provider.observation(from: json)
                let value = try #require(observation.value as? any Encodable)
                #expect(observation.canonical == (try CanonicalJSON.encode(AnyEncodable(value))), "\(address)")
                checked += 1
            }
        }
        #expect(checked >= 10)
    }
}
