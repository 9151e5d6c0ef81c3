public import NIOHTTP1

/// What a gRPC client gets when its call cannot reach a target: not a bare `502`, which gRPC
/// clients report as an unhelpful INTERNAL/UNKNOWN, but a "trailers-only" response (gRPC over
/// HTTP/2 spec): `:status 200`, `content-type: application/grpc`, `grpc-status` and
/// `grpc-message`, and the stream's end. Pure.
///
/// | failure | grpc-status |
/// |---|---|
/// | no target, all unhealthy (`503`) | 14 UNAVAILABLE |
/// | connect refused or failed, target closed before answering (`502`) | 14 UNAVAILABLE |
/// | connect timed out (`504`) | 14 UNAVAILABLE |
/// | no response within `response_timeout` or `grpc-timeout` (`504`) | 4 DEADLINE_EXCEEDED |
public enum GRPCFailureResponse {
    public static let unavailable = 14
    public static let deadlineExceeded = 4

    /// The gRPC status and message for an upstream failure (the message names no target).
    public static func status(for error: UpstreamError) -> (code: Int, message: String) {
        switch error {
        case .responseTimedOut:
            (Self.deadlineExceeded, "upstream response deadline exceeded")
        case .noTarget:
            (Self.unavailable, "no healthy target")
        case .connectTimedOut:
            (Self.unavailable, "upstream connect timed out")
        case .connectFailed:
            (Self.unavailable, "upstream connect failed")
        default:
            (Self.unavailable, "upstream connection closed")
        }
    }

    /// Whether a request is a gRPC call: `content-type` `application/grpc`, alone or with a
    /// `+proto`/`+json`… suffix or parameters.
    public static func isGRPC(contentType: String?) -> Bool {
        guard let contentType else { return false }
        let lower = contentType.lowercased()
        guard lower.hasPrefix("application/grpc") else { return false }
        let rest = lower.dropFirst("application/grpc".count)
        return rest.isEmpty || rest.first == "+" || rest.first == ";"
    }

    /// The fields of the trailers-only response (besides `:status 200`).
    public static func fields(for error: UpstreamError) -> HTTPHeaders {
        let (code, message) = Self.status(for: error)
        return HTTPHeaders([
            ("content-type", "application/grpc"),
            ("grpc-status", String(code)),
            ("grpc-message", Self.percentEncoded(message)),
        ])
    }

    /// `grpc-message` is percent-encoded UTF-8: bytes outside 0x20...0x7E and `%` itself.
    public static func percentEncoded(_ message: String) -> String {
        var out = ""
        for byte in message.utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return out
    }
}
