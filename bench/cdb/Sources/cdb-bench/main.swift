// cdb-bench: builds a cdb file from a "key value" map with CDBWriter, the way
// `cdb -c -m [-t tmp] out map` does, so the two can be timed and compared byte for byte.
//
// Usage: cdb-bench [-t tmpfile] output.cdb map.txt
//
// Map lines follow tinycdb's -m format: leading blanks skipped, key up to the first
// space or tab, blanks skipped, value is the rest of the line; empty lines and lines
// starting with '#' are ignored.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ReconcileCDB

func fail(_ message: String) -> Never {
    // fd 2 directly: the C `stderr` global is not concurrency-safe in Swift 6.
    var text = "cdb-bench: \(message)\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(1)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var temporaryPath: String?
if arguments.first == "-t" {
    guard arguments.count >= 2 else { fail("-t needs a file name") }
    temporaryPath = arguments[1]
    arguments.removeFirst(2)
}
guard arguments.count == 2 else { fail("usage: cdb-bench [-t tmpfile] output.cdb map.txt") }
let outputPath = arguments[0]
let mapPath = arguments[1]
let writePath = temporaryPath ?? outputPath

let input = open(mapPath, O_RDONLY | O_CLOEXEC)
guard input >= 0 else { fail("\(mapPath): \(String(cString: strerror(errno)))") }
let output = open(writePath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
guard output >= 0 else { fail("\(writePath): \(String(cString: strerror(errno)))") }

@inline(__always)
func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

/// Parses one line (without its newline) and adds it; the buffers point into the read buffer, no copies.
@inline(__always)
func addLine(_ line: UnsafeBufferPointer<UInt8>, to writer: CDBWriter) throws {
    var i = 0
    let n = line.count
    while i < n && isBlank(line[i]) { i += 1 }
    if i == n || line[i] == UInt8(ascii: "#") { return }
    let keyStart = i
    while i < n && !isBlank(line[i]) { i += 1 }
    let keyEnd = i
    while i < n && isBlank(line[i]) { i += 1 }
    try writer.add(
        key: UnsafeBufferPointer(rebasing: line[keyStart..<keyEnd]),
        value: UnsafeBufferPointer(rebasing: line[i..<n])
    )
}

do {
    let writer = try CDBWriter(fileDescriptor: output)
    var capacity = 1 << 20
    var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    var filled = 0
    var atEnd = false
    while !atEnd {
        if filled == capacity {
            // A line longer than the buffer: grow instead of splitting it.
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer, count: filled)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        let n = read(input, buffer + filled, capacity - filled)
        if n < 0 {
            if errno == EINTR { continue }
            fail("\(mapPath): \(String(cString: strerror(errno)))")
        }
        if n == 0 { atEnd = true } else { filled += n }

        var lineStart = 0
        while lineStart < filled {
            let remaining = filled - lineStart
            guard let nl = memchr(buffer + lineStart, 0x0a, remaining) else { break }
            let lineEnd = UnsafeRawPointer(nl).assumingMemoryBound(to: UInt8.self) - UnsafePointer(buffer)
            try addLine(UnsafeBufferPointer(start: buffer + lineStart, count: lineEnd - lineStart), to: writer)
            lineStart = lineEnd + 1
        }
        if atEnd && lineStart < filled {
            // Last line without a newline.
            try addLine(UnsafeBufferPointer(start: buffer + lineStart, count: filled - lineStart), to: writer)
            lineStart = filled
        }
        // Keep the partial line for the next read.
        filled -= lineStart
        if filled > 0 && lineStart > 0 {
            memmove(buffer, buffer + lineStart, filled)
        }
    }
    try writer.finish()
    buffer.deallocate()
} catch {
    fail("\(error)")
}
guard close(output) == 0 else { fail("\(writePath): \(String(cString: strerror(errno)))") }
close(input)
if let temporaryPath {
    guard rename(temporaryPath, outputPath) == 0 else {
        fail("rename \(temporaryPath) -> \(outputPath): \(String(cString: strerror(errno)))")
    }
}
