import Foundation

/// What the terminal can take: colour only on a TTY, never with NO_COLOR or TERM=dumb.
public enum Terminal {
    public static func colourAllowed(fileDescriptor: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard isatty(fileDescriptor) == 1 else { return false }
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    public static var isInteractive: Bool { isatty(0) == 1 && isatty(1) == 1 }

    public static func writeError(_ text: String) {
        writeAll(2, text.hasSuffix("\n") ? text : text + "\n")
    }

    public static func write(_ text: String) {
        writeAll(1, text)
    }

    /// All of `text` to `descriptor`. A reader that went away (a pipe into `head`) or a full disk
    /// loses the text, never the run: Foundation's `FileHandle.write` traps on those, and an apply
    /// must not stop halfway because nobody reads its log.
    static func writeAll(_ descriptor: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(descriptor, base + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    /// Local host name, the default for `--host`.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
