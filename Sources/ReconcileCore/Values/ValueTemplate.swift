/// What `${…}` may name: a value of the host's merged `kind: Values`, its name, or one of its labels.
public enum ValueReference: Hashable, Sendable, CustomStringConvertible {
    case value(String)
    case hostName
    case label(String)

    public var description: String {
        switch self {
        case .value(let name): return "values.\(name)"
        case .hostName: return "host.name"
        case .label(let key): return "host.labels.\(key)"
        }
    }
}

/// A string scalar with `${values.NAME}`, `${host.name}` or `${host.labels.KEY}` in it; `$${` is a
/// literal `${`. No expressions: a reference names one thing.
struct ValueTemplate: Equatable {
    enum Part: Equatable {
        case text(String)
        /// `column`: where `${` starts, in Unicode scalars from the scalar's first character.
        case reference(ValueReference, column: Int)
    }

    let parts: [Part]

    /// The one reference a scalar is made of (`size: ${values.cacheSize}`): it takes the value's type.
    var singleReference: ValueReference? {
        guard parts.count == 1, case .reference(let reference, _) = parts[0] else { return nil }
        return reference
    }

    struct Problem: Error, Equatable {
        let message: String
        let column: Int
    }

    /// nil for a scalar without `${` (nearly all of them, checked first); each malformed reference is
    /// a problem, and the rest of the scalar is still read.
    static func parse(_ text: String) -> (template: ValueTemplate, problems: [Problem])? {
        guard text.contains("${") else { return nil }
        let scalars = Array(text.unicodeScalars)
        var parts: [Part] = []
        var problems: [Problem] = []
        var literal = String.UnicodeScalarView()
        var index = 0
        func flush() {
            if !literal.isEmpty { parts.append(.text(String(literal))) }
            literal = String.UnicodeScalarView()
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "$", index + 2 < scalars.count, scalars[index + 1] == "$", scalars[index + 2] == "{" {
                literal.append(contentsOf: "${".unicodeScalars)
                index += 3
                continue
            }
            guard scalar == "$", index + 1 < scalars.count, scalars[index + 1] == "{" else {
                literal.append(scalar)
                index += 1
                continue
            }
            guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
                problems.append(Problem(message: "\"${\" is not closed by \"}\" (write \"$${\" for a literal \"${\")", column: index))
                break
            }
            let name = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
            if let reference = reference(name) {
                flush()
                parts.append(.reference(reference, column: index))
            } else if name.hasPrefix("params.") {
                problems.append(Problem(
                    message: "\"${\(name)}\" names a parameter, and only the resources of a ResourceGroup have parameters "
                        + "(\"$${\" for a literal \"${\")", column: index))
            } else {
                problems.append(Problem(
                    message: "\"${\(name)}\" is not a reference: write ${values.NAME}, ${host.name} or ${host.labels.KEY} "
                        + "(no expressions; \"$${\" for a literal \"${\")", column: index))
            }
            index = close + 1
        }
        flush()
        return (ValueTemplate(parts: parts), problems)
    }

    static func reference(_ name: String) -> ValueReference? {
        let pieces = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        switch (pieces.first, pieces.count) {
        case ("values", 2) where isValueName(pieces[1]):
            return .value(pieces[1])
        case ("host", 2) where pieces[1] == "name":
            return .hostName
        case ("host", 3) where pieces[1] == "labels" && HostSelector.isValidLabelKey(pieces[2]):
            return .label(pieces[2])
        default:
            return nil
        }
    }

    /// Value names are identifiers, so `${values.a.b}` can never mean a nested lookup.
    static func isValueName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return name.count <= 64 && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
