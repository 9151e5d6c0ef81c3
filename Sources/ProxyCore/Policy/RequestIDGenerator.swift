/// Makes the `X-Request-Id` of requests that come without one: 32 lower-case hex digits, a
/// random 64-bit prefix per event loop (drawn at start) and a counter, so ids never repeat
/// within a process and practically never across processes and restarts.
///
/// > Important: One per event loop (``ProxyLoop/requestIDs``); touched only on that loop.
public final class RequestIDGenerator {
    private let prefix: UInt64
    private var counter: UInt64

    public init(prefix: UInt64 = UInt64.random(in: 1...UInt64.max)) {
        self.prefix = prefix
        self.counter = UInt64.random(in: 0...UInt64(UInt32.max))
    }

    public func next() -> String {
        self.counter &+= 1
        return String(unsafeUninitializedCapacity: 32) { buffer in
            Self.writeHex(self.prefix, into: buffer, at: 0)
            Self.writeHex(self.counter, into: buffer, at: 16)
            return 32
        }
    }

    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { digits in
            for index in 0..<16 {
                buffer[offset + index] = digits[Int((value >> UInt64(60 - 4 * index)) & 0xF)]
            }
        }
    }

    /// Whether a client's `X-Request-Id` is kept: 1–200 visible ASCII characters.
    static func isAcceptable(_ value: String) -> Bool {
        let bytes = value.utf8
        return !bytes.isEmpty && bytes.count <= 200 && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

@available(*, unavailable)
extension RequestIDGenerator: Sendable {}
