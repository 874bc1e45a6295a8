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

    private struct Frame {
        let isMapping: Bool
        /// A sequence's items, or a mapping's kept keys and values alternating.
        var items: [Node] = []
        /// The mapping key awaiting its value; `keepPending` is false when the key was rejected
        /// and the entry must be dropped.
        var pendingKey: Node?
        var keepPending = false
        /// Kept keys by text, built only for large mappings: small ones are searched in `items`.
        var seen: [String: Mark]?
        let anchor: String?
        let tag: String?
        let start: Mark
        var size = 1
        var childHeight = 0

        init(isMapping: Bool, anchor: String?, tag: String?, start: Mark) {
            self.isMapping = isMapping
            self.anchor = anchor
            self.tag = tag
            self.start = start
        }
    }

    private let path: String
    private let limits: YAMLLimits
    /// Lines before the parsed bytes, when they are a slice of a larger stream.
    private let lineOffset: Int

    private(set) var documents: [YAMLDocument] = []
    var errors: [YAMLError] = []

    /// Set when the stream must not be read further. libyaml 0.2.5 takes
    /// time quadratic in flow nesting depth, so over-deep input is abandoned
    /// at the limit rather than skipped.
    private(set) var stopped = false

    // Per-document state.
    private var anchors: [String: Built] = [:]
    /// Where the stream's earlier documents defined each anchor (the last definition), to say
    /// why an alias to one is undefined and point at it.
    private var earlierAnchors: [String: Mark] = [:]
    private var stack: [Frame] = []
    private var root: (built: Built, isEmpty: Bool)?
    private var documentMark: Mark
    private var expansion = 0
    private var bombReported = false

    init(path: String, limits: YAMLLimits, lineOffset: Int = 0) {
        self.path = path
        self.limits = limits
        self.lineOffset = lineOffset
        documentMark = Mark(file: path, line: lineOffset + 1, column: 1)
    }

    private func mark(_ position: (line: Int, column: Int)) -> Mark {
        Mark(file: path, line: lineOffset + position.line + 1, column: position.column + 1)
    }

    mutating func handle(_ event: Event) {
        let start = mark(event.start)
        let end = mark(event.end)
        switch event.kind {
        case .streamStart, .streamEnd:
            break
        case .documentStart:
            earlierAnchors.merge(anchors.mapValues(\.node.mark)) { _, later in later }
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
            open(mapping: false, anchor: anchor, tag: tag, start: start)
        case .mappingStart(let anchor, let tag):
            open(mapping: true, anchor: anchor, tag: tag, start: start)
        case .sequenceEnd, .mappingEnd:
            close(end: end)
        }
    }

    private mutating func open(mapping: Bool, anchor: String?, tag: String?, start: Mark) {
        if stack.count + 1 > limits.maxDepth {
            errors.append(YAMLError(mark: start, message: depthMessage))
            stopped = true
            return
        }
        stack.append(Frame(isMapping: mapping, anchor: anchor, tag: tag, start: start))
    }

    private mutating func close(end: Mark) {
        guard let frame = stack.popLast() else { return }
        let value: Node.Value
        if frame.isMapping {
            value = .mapping(stride(from: 0, to: frame.items.count - 1, by: 2).map { (key: frame.items[$0], value: frame.items[$0 + 1]) })
        } else {
            value = .sequence(frame.items)
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
                : earlierAnchors[name].map { anchor in
                    "undefined alias *\(name): &\(name) is defined in an earlier document (line \(anchor.line), column \(anchor.column)), "
                        + "and anchors end at `---` (each document stands alone; repeat the value, or keep both in one document)"
                } ?? "undefined alias *\(name)"
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

    /// Adds a finished node to the open collection, in place: copying frames per node was most
    /// of composing.
    private mutating func complete(_ built: Built, isEmptyScalar: Bool = false) {
        let top = stack.count - 1
        guard top >= 0 else {
            root = (built, isEmptyScalar)
            return
        }
        if !stack[top].isMapping {
            stack[top].items.append(built.node)
            add(built, to: &stack[top])
        } else if let key = stack[top].pendingKey {
            if stack[top].keepPending {
                stack[top].items.append(key)
                stack[top].items.append(built.node)
                add(built, to: &stack[top])
            }
            stack[top].pendingKey = nil
        } else {
            let problem = Self.keyProblem(built.node, in: stack[top])
            if let problem { errors.append(problem) }
            stack[top].pendingKey = built.node
            stack[top].keepPending = problem == nil
            if problem == nil {
                add(built, to: &stack[top])
                Self.remember(built.node, in: &stack[top])
            }
        }
    }

    private func add(_ built: Built, to frame: inout Frame) {
        let (size, overflow) = frame.size.addingReportingOverflow(built.size)
        frame.size = overflow ? Int.max : size
        frame.childHeight = max(frame.childHeight, built.height)
    }

    /// Past this many keys a mapping's keys go into a dictionary rather than being searched.
    private static let linearKeySearchLimit = 16

    /// Why a key must be dropped (not a scalar, or a duplicate), nil when it is kept.
    private static func keyProblem(_ key: Node, in frame: Frame) -> YAMLError? {
        guard let text = key.scalar else {
            return YAMLError(mark: key.mark, message: "mapping keys must be scalars")
        }
        let first: Mark?
        if let seen = frame.seen {
            first = seen[text]
        } else {
            first = stride(from: 0, to: frame.items.count, by: 2).first { frame.items[$0].scalar == text }.map { frame.items[$0].mark }
        }
        guard let first else { return nil }
        return YAMLError(
            mark: key.mark,
            message: "duplicate key \(text.quotedForMessage) (first defined at line \(first.line), column \(first.column))",
            length: span(of: key))
    }

    /// Records a kept key (whose entry joins `items` once its value is complete).
    private static func remember(_ key: Node, in frame: inout Frame) {
        guard let text = key.scalar else { return }
        if frame.seen == nil, frame.items.count / 2 >= linearKeySearchLimit {
            var seen: [String: Mark] = [:]
            for index in stride(from: 0, to: frame.items.count, by: 2) {
                if let kept = frame.items[index].scalar, seen[kept] == nil { seen[kept] = frame.items[index].mark }
            }
            frame.seen = seen
        }
        frame.seen?[text] = key.mark
    }

    /// Characters to underline for a node that fits on one line.
    private static func span(of node: Node) -> Int {
        node.endMark.line == node.mark.line ? max(node.endMark.column - node.mark.column, 1) : 1
    }
}
