/// A compression library refused a call (out of memory, a state it reports as broken). The
/// response cannot be finished: the connection closes.
public struct CompressionError: Error, CustomStringConvertible {
    public let coding: ContentCoding
    public let detail: String

    public var description: String { "\(self.coding.token) compression failed: \(self.detail)" }
}
