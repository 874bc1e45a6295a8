import ReconcileYAML

/// Loads text from a fixed path so expected marks are easy to write.
func load(_ text: String, limits: YAMLLimits = .init()) -> (documents: [YAMLDocument], errors: [YAMLError]) {
    YAMLLoader.load(text: text, path: "test.yaml", limits: limits)
}

/// Root of the only document, or nil if there are errors or another count.
func single(_ text: String) -> Node? {
    let result = load(text)
    guard result.errors.isEmpty, result.documents.count == 1 else { return nil }
    return result.documents[0].root
}

/// Compact flow-style rendering, for comparing whole trees in one expectation.
func render(_ node: Node?) -> String {
    guard let node else { return "<nil>" }
    switch node.value {
    case .scalar(let text, _): return text
    case .sequence(let items): return "[" + items.map { render($0) }.joined(separator: ", ") + "]"
    case .mapping(let pairs):
        return "{" + pairs.map { render($0.key) + ": " + render($0.value) }.joined(separator: ", ") + "}"
    }
}

func at(_ line: Int, _ column: Int) -> Mark {
    Mark(file: "test.yaml", line: line, column: column)
}
