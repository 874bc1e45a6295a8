import Testing
import ReconcileYAML

@Suite struct EncodingTests {
    func error(_ bytes: [UInt8]) -> YAMLError? {
        let result = YAMLLoader.load(bytes: bytes, path: "enc.yaml")
        #expect(result.documents.isEmpty)
        #expect(result.errors.count <= 1)
        return result.errors.first
    }

    @Test func invalidByteIsReportedWithLineColumnAndHex() {
        let bytes = Array("ä: 1\näö: ".utf8) + [0xFF] + Array("\n".utf8)
        let e = error(bytes)
        #expect(e?.message == "invalid UTF-8 byte 0xff: manifests must be UTF-8")
        #expect(e?.mark == Mark(file: "enc.yaml", line: 2, column: 5))
        #expect(e?.description == "enc.yaml:2:5: error: invalid UTF-8 byte 0xff: manifests must be UTF-8")
    }

    @Test func malformedSequencesReportTheirLeadByte() {
        #expect(error(Array("a: ".utf8) + [0xC3])?.message == "invalid UTF-8 byte 0xc3: manifests must be UTF-8")  // truncated
        #expect(error(Array("a: ".utf8) + [0xC3, 0x28])?.mark.column == 4)  // bad continuation
        #expect(error([0xC0, 0xAF])?.message == "invalid UTF-8 byte 0xc0: manifests must be UTF-8")  // overlong
        #expect(error([0xED, 0xA0, 0x80])?.message == "invalid UTF-8 byte 0xed: manifests must be UTF-8")  // surrogate
        #expect(error([0xF4, 0x90, 0x80, 0x80])?.message == "invalid UTF-8 byte 0xf4: manifests must be UTF-8")  // > U+10FFFF
        #expect(error(Array("x: 1\r\ny: ".utf8) + [0x80])?.mark == Mark(file: "enc.yaml", line: 2, column: 4))
        #expect(error(Array("x: 1\r\ny: ".utf8) + [0x80])?.message.contains("0x80") == true)
    }

    @Test func latin1FileIsRejected() {
        // "größe: 1" in ISO-8859-1.
        let e = error([0x67, 0x72, 0xF6, 0xDF, 0x65, 0x3A, 0x20, 0x31])
        #expect(e?.message == "invalid UTF-8 byte 0xf6: manifests must be UTF-8")
        #expect(e?.mark.column == 3)
    }

    @Test func utf16ByteOrderMarksAreRejected() {
        for bom: [UInt8] in [[0xFF, 0xFE], [0xFE, 0xFF]] {
            let e = error(bom + [0x61, 0x00])
            #expect(e?.message == "file starts with a UTF-16 byte order mark: manifests must be UTF-8")
            #expect(e?.mark == Mark(file: "enc.yaml", line: 1, column: 1))
        }
    }

    @Test func utf8ByteOrderMarkIsAccepted() {
        let result = YAMLLoader.load(bytes: [0xEF, 0xBB, 0xBF] + Array("kind: File\n".utf8), path: "enc.yaml")
        #expect(result.errors.isEmpty)
        #expect(result.documents.first?.root["kind"]?.scalar == "File")
    }

    @Test func validMultibyteTextPasses() {
        let result = YAMLLoader.load(bytes: Array("motd: \"Grüße 😀 名前\"\n".utf8), path: "enc.yaml")
        #expect(result.errors.isEmpty)
        #expect(result.documents.first?.root["motd"]?.scalar == "Grüße 😀 名前")
    }
}
