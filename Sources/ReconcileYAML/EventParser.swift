import CYaml

/// One libyaml event copied into Swift values, so the C event can be
/// deleted immediately and nothing outlives libyaml's buffers.
struct Event {
    enum Kind {
        case streamStart
        case streamEnd
        case documentStart
        case documentEnd
        case alias(anchor: String)
        case scalar(anchor: String?, tag: String?, value: String, style: ScalarStyle)
        case sequenceStart(anchor: String?, tag: String?)
        case sequenceEnd
        case mappingStart(anchor: String?, tag: String?)
        case mappingEnd
    }

    let kind: Kind
    /// 0-based line/column straight from libyaml (columns in scalars).
    let start: (line: Int, column: Int)
    let end: (line: Int, column: Int)
}

/// A libyaml failure, still in libyaml's terms; the loader turns it into a `YAMLError`.
struct ParserFailure: Error {
    enum Location {
        case mark(line: Int, column: Int)
        /// Reader errors carry only a byte offset.
        case byteOffset(Int)
    }

    let problem: String
    let location: Location
    /// e.g. "while parsing a block mapping", with where that construct began.
    let context: (text: String, line: Int, column: Int)?
    /// Reader errors: the offending byte or code point, or -1.
    let value: Int
}

/// Owns a `yaml_parser_t` and, unless it borrows them, the input bytes it reads from.
///
/// A class so `deinit` can call `yaml_parser_delete`. libyaml keeps a raw pointer to the input,
/// so it is either copied into a buffer owned for the parser's whole lifetime or, through
/// `withParser(reading:)`, read in place for a parse that ends before the bytes do (a large
/// manifest's slices were copied whole, a fifth of the peak memory of planning it).
final class EventParser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    /// The copy this parser owns; nil when it reads borrowed bytes.
    private let ownedInput: UnsafeMutableBufferPointer<UInt8>?
    private var finished = false

    /// Nil only when libyaml cannot allocate its parser.
    init?(bytes: some Collection<UInt8>) {
        guard let parser = Self.makeParser() else { return nil }
        let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        if let base = input.baseAddress {
            yaml_parser_set_input_string(parser, base, bytes.count)
        }
        self.parser = parser
        self.ownedInput = input
    }

    private init(parser: UnsafeMutablePointer<yaml_parser_t>, borrowing base: UnsafePointer<UInt8>, count: Int) {
        yaml_parser_set_input_string(parser, base, count)
        self.parser = parser
        self.ownedInput = nil
    }

    /// `body` with a parser reading `bytes` where they are; the parser must not outlive `body`.
    /// Nil only when libyaml cannot allocate its parser.
    static func withParser<Result>(reading bytes: ArraySlice<UInt8>, _ body: (EventParser?) -> Result) -> Result {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return body(EventParser(bytes: bytes)) }
            guard let parser = makeParser() else { return body(nil) }
            return body(EventParser(parser: parser, borrowing: base, count: buffer.count))
        }
    }

    private static func makeParser() -> UnsafeMutablePointer<yaml_parser_t>? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        guard yaml_parser_initialize(parser) != 0 else {
            parser.deallocate()
            return nil
        }
        return parser
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        ownedInput?.deallocate()
    }

    /// The next event, a failure, or nil after the stream has ended or failed
    /// (libyaml must not be called again after either).
    func next() -> Result<Event, ParserFailure>? {
        guard !finished else { return nil }
        var raw = yaml_event_t()
        guard yaml_parser_parse(parser, &raw) != 0 else {
            finished = true
            return .failure(currentFailure())
        }
        defer { yaml_event_delete(&raw) }
        let event = Event(
            kind: Self.kind(of: raw),
            start: (Int(raw.start_mark.line), Int(raw.start_mark.column)),
            end: (Int(raw.end_mark.line), Int(raw.end_mark.column)))
        if case .streamEnd = event.kind { finished = true }
        return .success(event)
    }

    private static func kind(of raw: yaml_event_t) -> Event.Kind {
        switch raw.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT:
            return .alias(anchor: string(raw.data.alias.anchor) ?? "")
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            var value = ""
            if let bytes = scalar.value {
                // Length-delimited: a "\0" escape can put NUL inside the value.
                value = String(decoding: UnsafeBufferPointer(start: bytes, count: Int(scalar.length)), as: UTF8.self)
            }
            return .scalar(
                anchor: string(scalar.anchor), tag: string(scalar.tag), value: value,
                style: style(scalar.style))
        case YAML_SEQUENCE_START_EVENT:
            return .sequenceStart(
                anchor: string(raw.data.sequence_start.anchor), tag: string(raw.data.sequence_start.tag))
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            return .mappingStart(
                anchor: string(raw.data.mapping_start.anchor), tag: string(raw.data.mapping_start.tag))
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        default:
            // YAML_NO_EVENT is never returned on success; treat defensively as end.
            return .streamEnd
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: UnsafePointer(pointer))
    }

    private static func style(_ style: yaml_scalar_style_t) -> ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    private func currentFailure() -> ParserFailure {
        let p = parser.pointee
        let problem = p.problem.map { String(cString: $0) }
        switch p.error {
        case YAML_MEMORY_ERROR:
            return ParserFailure(
                problem: "out of memory while parsing",
                location: .mark(line: Int(p.mark.line), column: Int(p.mark.column)),
                context: nil, value: -1)
        case YAML_READER_ERROR:
            return ParserFailure(
                problem: problem ?? "cannot read input",
                location: .byteOffset(Int(p.problem_offset)),
                context: nil, value: Int(p.problem_value))
        default:
            let context = p.context.map {
                (String(cString: $0), Int(p.context_mark.line), Int(p.context_mark.column))
            }
            return ParserFailure(
                problem: problem ?? "invalid YAML",
                location: .mark(line: Int(p.problem_mark.line), column: Int(p.problem_mark.column)),
                context: context, value: -1)
        }
    }
}
