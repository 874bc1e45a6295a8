import Foundation
import Testing
@testable import ReconcileCDB

/// Runs Debian's tinycdb `cdb` tool by argv (never through a shell).
enum TinyCDB {
    /// The installed `cdb` executable, or nil when tinycdb is missing.
    static let path: String? = {
        var candidates = ["/usr/bin/cdb", "/usr/local/bin/cdb", "/bin/cdb"]
        if let pathVariable = ProcessInfo.processInfo.environment["PATH"] {
            candidates += pathVariable.split(separator: ":").map { "\($0)/cdb" }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var available: Bool { path != nil }
    static let skipReason: Comment = "tinycdb's `cdb` tool is not installed (apt-get install tinycdb)"

    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
    }

    /// Runs `cdb` with `arguments`, capturing stdout through a file so large dumps cannot block on a pipe.
    static func run(_ arguments: [String]) throws -> Result {
        let executable = try #require(path, "tinycdb not installed")
        let scratch = try Scratch()
        let outURL = scratch.url("stdout")
        let errURL = scratch.url("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: [UInt8](try Data(contentsOf: outURL)),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        )
    }

    /// `cdb -c -m out map`: builds from "key value" lines.
    static func makeFromMap(_ records: [(key: [UInt8], value: [UInt8])], in scratch: Scratch) throws -> [UInt8] {
        var text: [UInt8] = []
        for r in records {
            precondition(!r.key.contains(where: isBlankOrNewline) && !r.value.contains(where: isBlankOrNewline))
            text += r.key + [0x20] + r.value + [0x0a]
        }
        let map = scratch.url("map.txt")
        try Data(text).write(to: map)
        let out = scratch.url("tiny-m.cdb")
        let result = try run(["-c", "-m", "-t", scratch.url("tiny-m.tmp").path, out.path, map.path])
        try #require(result.status == 0, "cdb -c -m failed: \(result.stderr)")
        return [UInt8](try Data(contentsOf: out))
    }

    /// `cdb -c out input` with the native `+klen,vlen:key->value` format, which is binary-safe.
    static func makeNative(_ records: [(key: [UInt8], value: [UInt8])], in scratch: Scratch) throws -> [UInt8] {
        let input = scratch.url("native.txt")
        try Data(nativeDump(records)).write(to: input)
        let out = scratch.url("tiny-native.cdb")
        let result = try run(["-c", "-t", scratch.url("tiny-native.tmp").path, out.path, input.path])
        try #require(result.status == 0, "cdb -c failed: \(result.stderr)")
        return [UInt8](try Data(contentsOf: out))
    }

    /// The native format, which is also exactly what `cdb -d` prints.
    static func nativeDump(_ records: [(key: [UInt8], value: [UInt8])]) -> [UInt8] {
        var text: [UInt8] = []
        for r in records {
            text += Array("+\(r.key.count),\(r.value.count):".utf8) + r.key + Array("->".utf8) + r.value + [0x0a]
        }
        text.append(0x0a)
        return text
    }

    static func isBlankOrNewline(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }
}

/// A temporary directory removed when the value goes away.
final class Scratch {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("reconcile-cdb-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Writes `bytes` with `CDBWriter(fileDescriptor:)` (the streaming path) and returns the path.
    func writeWithDescriptor(_ records: [(key: [UInt8], value: [UInt8])], name: String = "ours.cdb") throws -> String {
        let path = url(name).path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        let writer = try CDBWriter(fileDescriptor: fd)
        for r in records { try writer.add(key: r.key, value: r.value) }
        try writer.finish()
        return path
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// Deterministic generator so failing cases reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:@".utf8)

func randomWord<G: RandomNumberGenerator>(_ rng: inout G, length: ClosedRange<Int>) -> [UInt8] {
    let n = Int.random(in: length, using: &rng)
    return (0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Compares record lists (tuples are not Equatable).
func same(_ a: [(key: [UInt8], value: [UInt8])], _ b: [(key: [UInt8], value: [UInt8])]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
}

/// Where two byte strings first differ (nil if equal). Used instead of `==` inside
/// `#expect` for whole files: on failure Swift Testing would diff megabyte arrays.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String? {
    if let i = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) {
        return "offset \(i): \(a[i]) vs \(b[i]) (sizes \(a.count) and \(b.count))"
    }
    return a.count == b.count ? nil : "sizes \(a.count) and \(b.count), equal up to the shorter"
}
