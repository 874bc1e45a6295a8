/// Entry point: bytes in, documents and errors out.
public enum YAMLLoader {
    /// Parses every document of a stream. Never throws and never crashes:
    /// problems come back as errors, as many as can honestly be found (after
    /// a libyaml syntax error parsing stops, so that one is the last).
    ///
    /// Parsing also stops at the first collection nested deeper than
    /// `limits.maxDepth`. Documents are returned only when finished; when `errors`
    /// is non-empty their content is best-effort (rejected entries dropped,
    /// bad aliases replaced by null) and should not be applied.
    public static func load(
        bytes: [UInt8], path: String, limits: YAMLLimits = .init()
    ) -> (documents: [YAMLDocument], errors: [YAMLError]) {
        if let encodingError = UTF8Check.check(bytes, path: path) {
            return ([], [encodingError])
        }
        if let documents = DocumentSlices.parse(bytes, path: path, limits: limits) {
            return (documents, [])
        }
        return parse(bytes[...], path: path, limits: limits, lineOffset: 0)
    }

    /// Parses a whole stream, or a slice of one that starts at a `---` line and whose first
    /// line is line `lineOffset + 1` of the file.
    static func parse(
        _ bytes: ArraySlice<UInt8>, path: String, limits: YAMLLimits, lineOffset: Int
    ) -> (documents: [YAMLDocument], errors: [YAMLError]) {
        EventParser.withParser(reading: bytes) { parser in
            guard let parser else {
                return ([], [YAMLError(mark: Mark(file: path, line: 1, column: 1), message: "out of memory creating the YAML parser")])
            }
            var composer = Composer(path: path, limits: limits, lineOffset: lineOffset)
            while !composer.stopped, let result = parser.next() {
                switch result {
                case .success(let event):
                    composer.handle(event)
                case .failure(let failure):
                    composer.errors.append(error(for: failure, bytes: Array(bytes), path: path))
                }
            }
            return (composer.documents, composer.errors)
        }
    }

    /// Same as `load(bytes:)`; a `String` is already valid Unicode.
    public static func load(
        text: String, path: String, limits: YAMLLimits = .init()
    ) -> (documents: [YAMLDocument], errors: [YAMLError]) {
        load(bytes: Array(text.utf8), path: path, limits: limits)
    }

    static let tabMessage = "tab character used for indentation; YAML requires spaces"

    /// libyaml's problems that, when they point at a tab, mean tab indentation.
    private static let tabProblems: Set<String> = [
        "found character that cannot start any token",
        "found a tab character that violates indentation",
    ]

    /// Translates libyaml's failure into a user-facing error: 1-based mark,
    /// a clearer message for tabs, libyaml's context kept otherwise.
    private static func error(for failure: ParserFailure, bytes: [UInt8], path: String) -> YAMLError {
        switch failure.location {
        case .byteOffset(let offset):
            let position = UTF8Check.position(ofByteOffset: offset, in: bytes)
            var message = failure.problem
            if failure.value >= 0 {
                message += " (found U+" + String(failure.value, radix: 16, uppercase: true).leftPadded(to: 4) + ")"
            }
            return YAMLError(mark: Mark(file: path, line: position.line, column: position.column), message: message)
        case .mark(let line, let column):
            let mark = Mark(file: path, line: line + 1, column: column + 1)
            if tabProblems.contains(failure.problem), character(at: mark, in: bytes, path: path) == "\t" {
                return YAMLError(mark: mark, message: tabMessage)
            }
            var message = failure.problem
            if let context = failure.context {
                message += " (\(context.text) at line \(context.line + 1), column \(context.column + 1))"
            }
            if failure.problem == "mapping values are not allowed in this context" {
                message += indentationHint(at: mark, in: bytes, path: path)
            }
            return YAMLError(mark: mark, message: message)
        }
    }

    /// libyaml's words for a key indented deeper than its siblings (or a value holding ": "):
    /// say what the two lines' indentations are.
    private static func indentationHint(at mark: Mark, in bytes: [UInt8], path: String) -> String {
        let source = SourceText(path: path, text: String(decoding: bytes, as: UTF8.self))
        let indent = { (line: Substring) in line.prefix { $0 == " " }.count }
        guard let here = source.line(mark.line) else { return "" }
        var above = mark.line - 1
        while above >= 1, let line = source.line(above), line.allSatisfy({ $0 == " " }) || line.drop(while: { $0 == " " }).hasPrefix("#") {
            above -= 1
        }
        guard above >= 1, let previous = source.line(above), indent(Substring(here)) > indent(Substring(previous)),
            previous.last(where: { $0 != " " }) != ":"
        else {
            return "; if this value holds \": \", quote it"
        }
        return "; line \(mark.line) is indented \(indent(Substring(here))) spaces, deeper than line \(above) (\(indent(Substring(previous))))"
            + ": keys of one mapping line up (or quote a value that holds \": \")"
    }

    private static func character(at mark: Mark, in bytes: [UInt8], path: String) -> Unicode.Scalar? {
        let source = SourceText(path: path, text: String(decoding: bytes, as: UTF8.self))
        guard let line = source.line(mark.line) else { return nil }
        let scalars = Array(line.unicodeScalars)
        return mark.column >= 1 && mark.column <= scalars.count ? scalars[mark.column - 1] : nil
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
