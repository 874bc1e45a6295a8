import Foundation

/// The text of a manifest kept for error output, split into lines the way
/// libyaml counts them so a `Mark` finds the right line and column.
public struct SourceText: Sendable {
    public let path: String
    private let storage: Storage
    /// Split into lines only when an error needs them: loading thousands of resources
    /// without errors never pays for it.
    private var lines: [[Unicode.Scalar]] { storage.text(path: path).map(Self.split) ?? [] }

    /// A file this large is not kept for the snippets of the few errors there may be (a
    /// manifest of 50,000 files of 4 KiB would be held twice, as text and as resources):
    /// it is read again when a snippet is needed.
    public static let keptInMemoryUpTo = 8 << 20

    private enum Storage: Sendable {
        case text(String)
        /// Read again from `path`; size and modification time as loaded, so that a file changed
        /// since gives no snippet rather than a wrong one.
        case file(size: UInt64, modified: Date?)

        func text(path: String) -> String? {
            switch self {
            case .text(let text):
                return text
            case .file(let size, let modified):
                guard Self.identity(of: path).map({ $0.size == size && $0.modified == modified }) == true,
                      let data = FileManager.default.contents(atPath: path), UInt64(data.count) == size else { return nil }
                return String(decoding: data, as: UTF8.self)
            }
        }

        static func identity(of path: String) -> (size: UInt64, modified: Date?)? {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = (attributes[.size] as? NSNumber)?.uint64Value else { return nil }
            return (size, attributes[.modificationDate] as? Date)
        }
    }

    public init(path: String, text: String) {
        self.path = path
        self.storage = .text(text)
    }

    /// The bytes just read from the file at `path`; a large file is read again if a snippet needs it.
    public init(path: String, readFrom bytes: [UInt8]) {
        self.path = path
        if bytes.count > Self.keptInMemoryUpTo, let identity = Storage.identity(of: path), identity.size == UInt64(bytes.count) {
            storage = .file(size: identity.size, modified: identity.modified)
        } else {
            storage = .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    static func split(_ text: String) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var previousWasCR = false
        var scalars = Substring(text).unicodeScalars
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        for scalar in scalars {
            if scalar == "\n", previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = scalar == "\r"
            switch scalar {
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                lines.append(current)
                current = []
            default:
                current.append(scalar)
            }
        }
        lines.append(current)
        return lines
    }

    /// Line `number` (1-based) without its line break, nil if out of range.
    /// A file ending in a newline has a final empty line, where end-of-input
    /// errors point.
    public func line(_ number: Int) -> String? {
        let all = lines
        guard number >= 1, number <= all.count else { return nil }
        var text = ""
        text.unicodeScalars.append(contentsOf: all[number - 1])
        return text
    }

    /// A caret snippet for error output, e.g.
    ///
    ///     3 |   mode: writebak
    ///       |         ^~~~~~~~
    ///
    /// `length` is the number of characters to underline (1 → just `^`),
    /// clipped to the end of the line. Tabs before the column are kept in the
    /// padding so the caret lines up in a terminal. Empty if the line is out
    /// of range.
    public func snippet(at mark: Mark, length: Int = 1) -> String {
        let all = lines
        guard mark.line >= 1, mark.line <= all.count else { return "" }
        let scalars = all[mark.line - 1]
        let startIndex = max(mark.column - 1, 0)
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        var padding = ""
        for offset in 0..<startIndex {
            padding += offset < scalars.count && scalars[offset] == "\t" ? "\t" : " "
        }
        let available = max(scalars.count - startIndex, 1)
        let underline = min(max(length, 1), available)
        let number = String(mark.line)
        let gutter = String(repeating: " ", count: number.count)
        let body = text.isEmpty ? "" : " " + text
        return "\(number) |\(body)\n\(gutter) | \(padding)^" + String(repeating: "~", count: underline - 1)
    }
}
