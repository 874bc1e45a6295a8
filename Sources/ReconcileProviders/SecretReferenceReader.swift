import ReconcileCore

/// `{env: NAME}` or `{file: /path}`: where a secret is on the host, read only when it is used.
enum SecretReferenceReader {
    static let keys = ["env", "file"]

    /// Reads the mapping at `key`; the caller has checked it is not a plain string.
    static func read(_ reader: ObjectReader, _ key: String) -> SecretReference? {
        guard let object = reader.object(key, knownKeys: keys) else {
            reader.error(key, "expected {env: NAME} or {file: PATH}")
            return nil
        }
        switch object.exclusive(keys, required: true) {
        case "env":
            guard let name = object.string("env") else { return nil }
            guard let first = name.first, first == "_" || first.isLetter,
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                object.error("env", "\"\(name)\" is not an environment variable name")
                return nil
            }
            return .environment(name)
        case "file":
            return FileSpec.readAbsolutePath(object, key: "file").map(SecretReference.file)
        default:
            return nil
        }
    }
}
