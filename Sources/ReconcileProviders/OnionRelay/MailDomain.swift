/// A mail domain as Exim looks it up: lowercase (cdb lookups are case-sensitive), LDH labels.
public enum MailDomain {
    public static func normalise(_ text: String) -> Result<String, DomainProblem> {
        let lowered = text.lowercased()
        guard !lowered.isEmpty, lowered.utf8.count <= 253 else { return .failure(.length) }
        guard !lowered.hasSuffix(".onion") else { return .failure(.onionAsDomain) }
        let labels = lowered.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return .failure(.singleLabel) }
        for label in labels {
            guard (1...63).contains(label.utf8.count) else { return .failure(.label(String(label))) }
            let valid = label.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-")
            }
            guard valid, label.first != "-", label.last != "-" else { return .failure(.label(String(label))) }
        }
        return .success(lowered)
    }

    public enum DomainProblem: Error, Equatable, CustomStringConvertible {
        case length
        case singleLabel
        case onionAsDomain
        case label(String)

        public var description: String {
            switch self {
            case .length: return "a domain has 1 to 253 characters"
            case .singleLabel: return "a mail domain has at least two labels (example.org)"
            case .onionAsDomain: return "the key is the mail domain; its onion address goes on the right"
            case .label(let label): return "\"\(label)\" is not a valid domain label (letters, digits, inner hyphens; 1–63 characters)"
            }
        }
    }
}
