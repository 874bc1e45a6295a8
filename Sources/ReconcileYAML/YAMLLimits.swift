/// Bounds that keep hostile or broken input from exhausting time, memory or stack.
public struct YAMLLimits: Sendable {
    /// Total nodes that alias references may expand to in one document;
    /// stops "billion laughs" inputs before consumers walk them.
    public var maxAliasExpansion: Int = 100_000
    /// Deepest allowed nesting of collections (aliases included), so
    /// recursive consumers cannot overflow the stack.
    public var maxDepth: Int = 256

    public init(maxAliasExpansion: Int = 100_000, maxDepth: Int = 256) {
        self.maxAliasExpansion = maxAliasExpansion
        self.maxDepth = maxDepth
    }
}
