/// A position in a source file, as shown to users.
///
/// Lines and columns are 1-based; columns count Unicode scalars, which is
/// what libyaml counts, so a mark points at the same character whatever the
/// UTF-8 width of the text before it.
public struct Mark: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Path as given by the caller.
    public let file: String
    /// 1-based line.
    public let line: Int
    /// 1-based column in Unicode scalars.
    public let column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form editors and terminals link to.
    public var description: String { "\(file):\(line):\(column)" }

    /// Orders by file, then position, so sorted errors read top to bottom.
    public static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}
