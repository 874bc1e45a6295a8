import Foundation

extension String {
    /// Valid UTF-8 as a native String that owns its bytes; nil otherwise.
    /// Used instead of `String(data:encoding:)`, whose result for Data from
    /// `FileManager.contents(atPath:)` was seen here to read as empty once stored and copied.
    public init?(validatingUTF8Data data: Data) {
        var iterator = data.makeIterator()
        var decoder = UTF8()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: break decoding
            case .error: return nil
            }
        }
        self = String(decoding: data, as: UTF8.self)
    }
}
