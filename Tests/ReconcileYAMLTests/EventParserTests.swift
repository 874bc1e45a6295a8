import Testing
@testable import ReconcileYAML

@Suite struct EventParserTests {
    func kinds(_ parser: EventParser) -> [String] {
        var out: [String] = []
        while let result = parser.next() {
            switch result {
            case .success(let event):
                switch event.kind {
                case .streamStart: out.append("+STR")
                case .streamEnd: out.append("-STR")
                case .documentStart: out.append("+DOC")
                case .documentEnd: out.append("-DOC")
                case .mappingStart: out.append("+MAP")
                case .mappingEnd: out.append("-MAP")
                case .sequenceStart: out.append("+SEQ")
                case .sequenceEnd: out.append("-SEQ")
                case .scalar(_, _, let value, _): out.append("=" + value)
                case .alias(let anchor): out.append("*" + anchor)
                }
            case .failure(let failure): out.append("!" + failure.problem)
            }
        }
        return out
    }

    @Test func parserOwnsItsInputCopy() throws {
        var bytes = Array("a: [1, *x]\n".utf8)
        let parser = try #require(EventParser(bytes: bytes))
        // Overwriting the caller's array must not affect what libyaml reads.
        bytes.replaceSubrange(0..<bytes.count, with: Array(repeating: UInt8(ascii: "z"), count: bytes.count))
        #expect(kinds(parser) == ["+STR", "+DOC", "+MAP", "=a", "+SEQ", "=1", "*x", "-SEQ", "-MAP", "-DOC", "-STR"])
        #expect(parser.next() == nil)  // never calls libyaml again after the stream end
    }

    @Test func failureEndsTheEventStream() throws {
        let parser = try #require(EventParser(bytes: Array("a: b: c\n".utf8)))
        let events = kinds(parser)
        #expect(events.last == "!mapping values are not allowed in this context")
        #expect(parser.next() == nil)
    }

    @Test func manyParsersCanBeCreatedAndReleased() {
        // Exercised under the address/leak sanitizer to check events and parsers are freed.
        for _ in 0..<200 {
            let result = YAMLLoader.load(text: "a: &x [1, 2]\nb: *x\nc: \"long scalar value\"\n---\nd: [\n", path: "m.yaml")
            #expect(result.errors.count == 1)
        }
    }
}
