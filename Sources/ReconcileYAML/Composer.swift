/// Turns libyaml events into `Node` trees, enforcing the checks libyaml
/// leaves to the application: duplicate and complex keys, aliases, limits.
///
/// Iterative (an explicit frame stack) so hostile nesting cannot overflow
/// the Swift stack before the depth limit is reached.
struct Composer {
    /// A finished node plus what the limits need to know about it, so alias
    /// checks are O(1) instead of walking the aliased subtree.
    private struct Built {
        var node: Node
        /// Nodes in the subtree with aliases expanded (saturating).
        var size: Int
        /// Collection nesting inside the subtree (a scalar is 0).
        var height: Int
    }

    private enum FrameKind {
        case sequence([Node])
        /// `pendingKey` is the key awaiting its value; `keep` is false when
        /// the key was rejected and the entry must be dropped.
        case mapping([(key: Node, value: Node)], pendingKey: (node: Node, keep: Bool)?, seen: [String: Mark])
    }

    private struct Frame {
        var kind: FrameKind
        let anchor: String?
        let tag: String?
        let start: Mark
        var size = 1
        var childHeight = 0
    }

    private let path: String
    private let limits: YAMLLimits

    private(set) var documents: [YAMLDocument] = []
    var errors: [YAMLError] = []

    /// Set when the stream must not be read further. libyaml 0.2.5 takes
    /// time quadratic in flow nesting depth, so over-deep input is abandoned
    /// at the limit rather than skipped.
    private(set) var stopped = false

    // Per-document state.
    private var anchors: [String: Built] = [:]
    private var stack: [Frame] = []
    private var root: (built: Built, isEmpty: Bool)?
    private var documentMark: Mark
    private var expansion = 0
    private var bombReported = false

    init(path: String, limits: YAMLLimits) {
        self.path = path
        self.limits = limits
        documentMark = Mark(file: path, line: 1, column: 1)
    }

    private func mark(_ position: (line: Int, column: Int)) -> Mark {
        Mark(file: path, line: position.line + 1, column: position.column + 1)
    }

    mutating func handle(_ event: Event) {
        let start = mark(event.start)
        let end = mark(event.end)
        switch event.kind {
        case .streamStart, .streamEnd:
            break
        case .documentStart:
            anchors = [:]
            stack = []
            root = nil
            expansion = 0
            bombReported = false
            documentMark = start
        case .documentEnd:
            if let root {
                documents.append(YAMLDocument(
                    root: root.built.node, isEmpty: root.isEmpty, mark: documentMark, index: documents.count))
            }
            root = nil
        case .scalar(let anchor, let tag, let value, let style):
            let node = Node(value: .scalar(value, style), mark: start, endMark: end, tag: tag)
            let built = Built(node: node, size: 1, height: 0)
            if let anchor { anchors[anchor] = built }
            let isEmpty = value.isEmpty && style == .plain && tag == nil && anchor == nil && start == end
            complete(built, isEmptyScalar: isEmpty)
        case .alias(let name):
            complete(resolveAlias(name, start: start, end: end))
        case .sequenceStart(let anchor, let tag):
            open(.sequence([]), anchor: anchor, tag: tag, start: start)
        case .mappingStart(let anchor, let tag):
            open(.mapping([], pendingKey: nil, seen: [:]), anchor: anchor, tag: tag, start: start)
        case .sequenceEnd, .mappingEnd:
            close(end: end)
        }
    }

    private mutating func open(_ kind: FrameKind, anchor: String?, tag: String?, start: Mark) {
        if stack.count + 1 > limits.maxDepth {
            errors.append(YAMLError(mark: start, message: depthMessage))
            stopped = true
            return
        }
        stack.append(Frame(kind: kind, anchor: anchor, tag: tag, start: start))
    }

    private mutating func close(end: Mark) {
        guard let frame = stack.popLast() else { return }
        let value: Node.Value
        switch frame.kind {
        case .sequence(let items): value = .sequence(items)
        case .mapping(let pairs, _, _): value = .mapping(pairs)
        }
        let node = Node(value: value, mark: frame.start, endMark: end, tag: frame.tag)
        let built = Built(node: node, size: frame.size, height: frame.childHeight + 1)
        if let anchor = frame.anchor { anchors[anchor] = built }
        complete(built)
    }

    private var depthMessage: String {
        "nesting depth exceeds the limit of \(limits.maxDepth) levels"
    }

    /// A null stand-in for content that was rejected, so the rest of the
    /// document can still be checked.
    private func placeholder(start: Mark, end: Mark) -> Built {
        Built(node: Node(value: .scalar("", .plain), mark: start, endMark: end), size: 1, height: 0)
    }

    private mutating func resolveAlias(_ name: String, start: Mark, end: Mark) -> Built {
        let length = name.unicodeScalars.count + 1
        guard let target = anchors[name] else {
            let message = stack.contains(where: { $0.anchor == name })
                ? "alias *\(name) refers to a node that contains it (recursive aliases are not supported)"
                : "undefined alias *\(name)"
            errors.append(YAMLError(mark: start, message: message, length: length))
            return placeholder(start: start, end: end)
        }
        let (total, overflow) = expansion.addingReportingOverflow(target.size)
        expansion = overflow ? Int.max : total
        if expansion > limits.maxAliasExpansion {
            if !bombReported {
                bombReported = true
                errors.append(YAMLError(
                    mark: start,
                    message: "alias *\(name) expands to more than \(limits.maxAliasExpansion) nodes: refusing (possible alias bomb)",
                    length: length))
            }
            return placeholder(start: start, end: end)
        }
        if stack.count + target.height > limits.maxDepth {
            errors.append(YAMLError(mark: start, message: depthMessage, length: length))
            return placeholder(start: start, end: end)
        }
        // Share the anchored value but report positions where the alias is
        // written: errors about "this value" belong at the use site.
        let node = Node(value: target.node.value, mark: start, endMark: end, tag: target.node.tag)
        return Built(node: node, size: target.size, height: target.height)
    }

    private mutating func complete(_ built: Built, isEmptyScalar: Bool = false) {
        guard var frame = stack.popLast() else {
            root = (built, isEmptyScalar)
            return
        }
        switch frame.kind {
        case .sequence(var items):
            frame.kind = .sequence([])  // keep `items` uniquely referenced while appending
            items.append(built.node)
            frame.kind = .sequence(items)
            add(built, to: &frame)
        case .mapping(var pairs, let pendingKey, var seen):
            frame.kind = .sequence([])
            if let pendingKey {
                if pendingKey.keep {
                    pairs.append((key: pendingKey.node, value: built.node))
                    add(built, to: &frame)
                }
                frame.kind = .mapping(pairs, pendingKey: nil, seen: seen)
            } else {
                let keep = checkKey(built.node, seen: &seen)
                if keep { add(built, to: &frame) }
                frame.kind = .mapping(pairs, pendingKey: (built.node, keep), seen: seen)
            }
        }
        stack.append(frame)
    }

    private func add(_ built: Built, to frame: inout Frame) {
        let (size, overflow) = frame.size.addingReportingOverflow(built.size)
        frame.size = overflow ? Int.max : size
        frame.childHeight = max(frame.childHeight, built.height)
    }

    /// Records a key; false (after reporting why) if the entry must be dropped.
    private mutating func checkKey(_ key: Node, seen: inout [String: Mark]) -> Bool {
        guard let text = key.scalar else {
            errors.append(YAMLError(mark: key.mark, message: "mapping keys must be scalars"))
            return false
        }
        if let first = seen[text] {
            errors.append(YAMLError(
                mark: key.mark,
                message: "duplicate key \(text.quotedForMessage) (first defined at line \(first.line), column \(first.column))",
                length: Self.span(of: key)))
            return false
        }
        seen[text] = key.mark
        return true
    }

    /// Characters to underline for a node that fits on one line.
    private static func span(of node: Node) -> Int {
        node.endMark.line == node.mark.line ? max(node.endMark.column - node.mark.column, 1) : 1
    }
}
