/// Permission bits as operators write them: octal text like "0644".
public enum FileMode {
    public static func parse(_ text: String) -> UInt32? {
        guard (3...4).contains(text.count), text.allSatisfy({ ("0"..."7").contains($0) }),
              let value = UInt32(text, radix: 8), value <= 0o7777 else { return nil }
        return value
    }

    public static func format(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
