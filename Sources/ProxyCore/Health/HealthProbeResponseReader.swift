public import NIOCore
import NIOHTTP1

/// Reads the answer to a health probe's `GET` with the parser that reads proxied responses
/// (``HTTP1Parser``, decision 0012), so a target passes its probes only if it answers in a way
/// the proxy can forward: a response the parser refuses fails the probe, as it would fail
/// every request sent to the target.
///
/// Fed the bytes as they arrive (``read(_:)``) and told when the connection ended
/// (``finish()``). Framed as the proxy frames an answer to a `GET`: interim `1xx` responses
/// are passed over, `101` is refused, `204` and `304` have no body, a response without
/// `Content-Length` or chunked coding lasts until the close. The body is read to its end when
/// that comes within ``maxBodyBytes`` (an error in it fails the probe like one in the head);
/// a longer body is not waited for, the status stands.
///
/// A value for one probe on one event loop (not `Sendable`: it holds the bytes received).
public struct HealthProbeResponseReader {
    /// What a probe's response says.
    public enum Outcome: Hashable, Sendable {
        /// A well-formed response with this status code.
        case status(Int)
        /// What the parser refused, for the log (`"invalid header name"`, `"bare LF"`, …).
        case malformed(String)
    }

    /// How much of a body is read before the status stands without its end.
    public let maxBodyBytes: Int
    /// As proxied responses are read.
    private var parser = HTTP1Parser.forTargetResponses()
    /// What was received and not yet parsed.
    private var received = ByteBuffer()
    /// The final response's status, once its head was parsed.
    private var status: Int?
    private var bodyBytes = 0
    private var outcome: Outcome?

    public init(maxBodyBytes: Int = 64 * 1024) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Parses what arrived.
    /// - Returns: The outcome once it is known (and the same on every later call); `nil` while
    ///   more bytes are needed.
    public mutating func read(_ bytes: ByteBuffer) -> Outcome? {
        if let outcome = self.outcome {
            return outcome
        }
        if self.received.readableBytes == 0 {
            self.received = bytes
        } else {
            self.received.writeImmutableBuffer(bytes)
        }
        do {
            while let event = try self.parser.next(&self.received) {
                switch event {
                case .head:
                    let head = self.parser.takeHead()
                    if head.status < 200 && head.status != 101 {
                        self.parser.expectAnotherHead()  // interim: the response's head follows
                        continue
                    }
                    self.parser.startBody(try Self.framing(of: head))
                    self.status = head.status
                case .body(let part):
                    self.bodyBytes += part.readableBytes
                    if self.bodyBytes > self.maxBodyBytes {
                        return self.finish(with: .status(self.status!))
                    }
                case .end:
                    return self.finish(with: .status(self.status!))
                }
            }
        } catch {
            return self.finish(with: Self.malformed(error))
        }
        // The parser keeps offsets from the reader index only: what it consumed can go.
        self.received.discardReadBytes()
        return nil
    }

    /// The connection ended (after the last ``read(_:)``).
    /// - Returns: The outcome; `nil` when it ended before a complete response (nothing came,
    ///   or a head or body was cut short).
    public mutating func finish() -> Outcome? {
        if let outcome = self.outcome {
            return outcome
        }
        // Only the end of a body that lasts until the close ends a message here; anything else
        // unfinished is cut short (the parser's error says no more than that).
        guard case .end? = try? self.parser.finish(self.received) else { return nil }
        return self.finish(with: .status(self.status!))
    }

    private mutating func finish(with outcome: Outcome) -> Outcome {
        self.outcome = outcome
        self.received = ByteBuffer()
        return outcome
    }

    private static func malformed(_ error: any Error) -> Outcome {
        .malformed((error as? HTTP1ParseError)?.reason ?? "\(error)")
    }

    /// The framing of an answer to a `GET`: the upstream connection's own rule (RFC 9112 §6.3),
    /// so a probe reads an answer exactly as a proxied response would be read.
    private static func framing(of head: HTTP1Head) throws -> HTTP1Parser.Framing {
        try UpstreamConnection.framing(of: head, method: .GET)
    }
}
