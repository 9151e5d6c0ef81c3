import NIOCore

/// A request's `X-Request-Id`: one made here (two numbers, written as 32 hex digits straight into
/// the buffers that carry it: no string per request), or the client's own.
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
    case made(prefix: UInt64, counter: UInt64)
    case client(String)

    /// The id as text (the access log, a header rule's `${request_id}`).
    public var description: String {
        switch self {
        case .client(let text):
            return text
        case .made(let prefix, let counter):
            return String(unsafeUninitializedCapacity: 32) { buffer in
                Self.writeHex(prefix, into: UnsafeMutableRawBufferPointer(buffer), at: 0)
                Self.writeHex(counter, into: UnsafeMutableRawBufferPointer(buffer), at: 16)
                return 32
            }
        }
    }

    private static let line: StaticString = "X-Request-Id: "

    /// Writes `X-Request-Id: <id>` and its line end into `buffer`.
    func writeLine(into buffer: inout ByteBuffer) {
        switch self {
        case .client(let text):
            HTTP1Serializer.writeField("X-Request-Id", text, into: &buffer)
        case .made(let prefix, let counter):
            // The name in the same reservation as the digits: `writeStaticString` alone cost
            // ~100 instructions (ByteBuffer's non-inlined copy).
            let name = Self.line.utf8CodeUnitCount
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: name + 34) { target in
                precondition(target.count >= name + 34, "request id line outside its space")
                target.baseAddress!.copyMemory(from: Self.line.utf8Start, byteCount: name)
                Self.writeHex(prefix, into: target, at: name)
                Self.writeHex(counter, into: target, at: name + 16)
                target[name + 32] = UInt8(ascii: "\r")
                target[name + 33] = UInt8(ascii: "\n")
                return name + 34
            }
        }
    }

    /// Writes `value` as 16 lower-case hex digits at `offset`: each half's nibbles spread to one
    /// per byte and turned into digits eight at a time (a table lookup per digit cost ~8
    /// instructions each, ~260 per id written; an id is written twice per request).
    @inline(__always)
    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + 16 <= buffer.count, "request id outside its space")
        let high = Self.hexDigits(UInt32(truncatingIfNeeded: value >> 32))
        let low = Self.hexDigits(UInt32(truncatingIfNeeded: value))
        buffer.baseAddress!.storeBytes(of: high.bigEndian, toByteOffset: offset, as: UInt64.self)
        buffer.baseAddress!.storeBytes(of: low.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
    }

    /// The eight hex digits of `value`, the least significant digit in the lowest byte.
    @inline(__always)
    static func hexDigits(_ value: UInt32) -> UInt64 {
        // Nibble `i` of `value` into byte `i`.
        var x = UInt64(value)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        x = (x | x << 4) & 0x0F0F_0F0F_0F0F_0F0F
        // 1 in each byte whose nibble is 10 or more: those become `a`–`f` ('a' - '0' - 10 = 39).
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return x &+ 0x3030_3030_3030_3030 &+ letters &* 39
    }
}

/// Makes the `X-Request-Id` of requests that come without one: a random 64-bit prefix per event
/// loop (drawn at start) and a counter, so ids never repeat within a process and practically
/// never across processes and restarts.
///
/// > Important: One per event loop (``ProxyLoop/requestIDs``); touched only on that loop.
public final class RequestIDGenerator {
    private let prefix: UInt64
    private var counter: UInt64

    public init(prefix: UInt64 = UInt64.random(in: 1...UInt64.max)) {
        self.prefix = prefix
        self.counter = UInt64.random(in: 0...UInt64(UInt32.max))
    }

    public func next() -> RequestID {
        self.counter &+= 1
        return .made(prefix: self.prefix, counter: self.counter)
    }

    /// Whether a client's `X-Request-Id` is kept: 1–200 visible ASCII characters.
    static func isAcceptable(_ value: String) -> Bool {
        let bytes = value.utf8
        return !bytes.isEmpty && bytes.count <= 200 && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

@available(*, unavailable)
extension RequestIDGenerator: Sendable {}
