import ReconcileYAML

/// The YAML layer: libyaml events, composition, limits, marks and caret snippets on any bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    let (documents, errors) = YAMLLoader.load(bytes: bytes, path: "fuzz.yaml", limits: YAMLLimits())
    let source = SourceText(path: "fuzz.yaml", text: String(decoding: bytes, as: UTF8.self))
    for error in errors {
        _ = source.line(error.mark.line)
        _ = "\(error)"
    }
    for document in documents {
        _ = document.root.mapping?.count
    }
    return 0
}
