import Foundation
@testable import ReconcileCore
@testable import ReconcileProviders
import Testing

/// Fingerprints are sha256 of the canonical JSON, and saved plans keep them: the hand-written
/// encoder must write Foundation's bytes exactly, or refuse so that Foundation writes them.
@Suite struct CanonicalEncoderTests {
    static let awkwardText = String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) })
        + "é ü ß 漢字 🙂 \u{2028}\u{2029}\u{FEFF} \u{10FFFF} a/b\\c\"d"

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

    private func expectSameBytes<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try #require(CanonicalEncoder.encode(value), sourceLocation: sourceLocation)
        let foundation = try CanonicalJSON.encode(value)
        #expect(Data(ours) == foundation, sourceLocation: sourceLocation)
        #expect(try CanonicalJSON.encodeCompact(value) == foundation, sourceLocation: sourceLocation)
    }

    @Test func fileObservations() throws {
        try expectSameBytes(Self.file(Self.awkwardText))
        try expectSameBytes(Self.file(nil))
        try expectSameBytes(FileObservation.missing)
        try expectSameBytes(Self.unit("x"))
    }

    /// FileObservation writes its own JSON; a property it does not know would be left out of fingerprints.
    @Test func fileObservationWritesEveryProperty() throws {
        #expect(Mirror(reflecting: Self.file("x")).children.count == 14)
        let object = try JSONSerialization.jsonObject(with: Data(try #require(CanonicalEncoder.encode(Self.file("x")))))
        #expect((object as? [String: Any])?.count == 14)
    }

    /// Integers of the widths observations use are written without their generic description.
    struct Integers: Encodable, CanonicalJSONWritable {
        var int: Int?, int64: Int64?, int8: Int8?, uint32: UInt32?, uint64: UInt64?

        func writeCanonicalJSON(to object: inout CanonicalJSONObject) {
            object.add("int", int)
            object.add("int64", int64)
            object.add("int8", int8)
            object.add("uint32", uint32)
            object.add("uint64", uint64)
        }
    }

    @Test(arguments: [
        Integers(int: 0, int64: -1, int8: -128, uint32: 0, uint64: 9),
        Integers(int: Int.min, int64: Int64.min, int8: 127, uint32: UInt32.max, uint64: UInt64.max),
        Integers(int: Int.max, int64: Int64.max, int8: nil, uint32: 10, uint64: 1_000_000_007),
        Integers(int: -10, int64: nil, int8: 0, uint32: nil, uint64: nil),
    ])
    func integersOfEveryWidth(_ value: Integers) throws {
        try expectSameBytes(value)
    }

    @Test func keysSortByTheirUTF8Bytes() throws {
        let keys = ["b", "a", "B", "", "é", "z", "漢", "🙂", "\u{FFFD}", "aa", "a a", "/etc/x", "/etc/x.d"]
        let map = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($0.element, "v\($0.offset)") })
        try expectSameBytes(map)
        try expectSameBytes(Dictionary(uniqueKeysWithValues: keys.map { ($0, Self.file($0)) }))
    }

    @Test func nestedObservations() throws {
        try expectSameBytes(GitLabRunnerObservation(
            scripts: [Self.file("#!/bin/sh\n"), .missing], config: RunnerConfig.Observation(
                file: Self.file(nil), directoryExists: false, problem: "two \"entries\"",
                entry: ["url": "\"https://x/\"", "limit": "2"], tokenMatches: true, concurrent: -3),
            units: [Self.unit("a"), Self.unit("b")], hostCacheDir: .missing, userExists: true, groupExists: false,
            executableRunnable: false, token: .init(isAuthenticationToken: nil, problem: nil, fileMode: 0o600)))
        try expectSameBytes(CaptureProxyObservation(
            tcpdump: Self.unit("t"), tcpRelay: Self.unit("r"), unixRelay: Self.unit("u"), proxy: .missing,
            socket: nil, portListeners: ["a", "b"]))
        try expectSameBytes([[Int8.min, 0], [], [Int8.max]])
        try expectSameBytes([Optional<String>.none, "x"])
        try expectSameBytes([UInt64.max, 0])
        try expectSameBytes(Int.min)
        try expectSameBytes("only a string")
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

    struct Special: Encodable {
        var number = 1.5
        var data = Data([1, 2, 3])
        var date = Date(timeIntervalSinceReferenceDate: 12.25)
        var url = URL(string: "https://example.org/a")
    }

    /// Values Foundation encodes its own way go to Foundation.
    @Test func refusesWhatFoundationTreatsSpecially() throws {
        #expect(CanonicalEncoder.encode(Special()) == nil)
        #expect(CanonicalEncoder.encode([1.0]) == nil)
        #expect(CanonicalEncoder.encode(["a": Data()]) == nil)
        #expect(try CanonicalJSON.encodeCompact(Special()) == CanonicalJSON.encode(Special()))
    }
}
