import NIOCore
public import NIOHTTP1

/// Why a request could not be forwarded.
///
/// Compare against the static members with `==`; ``detail`` is for logs only and may name the
/// target. The client only ever sees ``httpStatus`` and its reason phrase.
public struct UpstreamError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case noTarget
        case connectFailed
        case connectTimedOut
        case responseTimedOut
        case closedBeforeResponse
        case closedDuringResponse
    }

    private let code: Code
    public let detail: String

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// No route or no target for the request. `503`.
    public static let noTarget = UpstreamError(.noTarget, "")
    /// The connect was refused or failed. `502`.
    public static let connectFailed = UpstreamError(.connectFailed, "")
    /// The connect did not finish in time. `504`.
    public static let connectTimedOut = UpstreamError(.connectTimedOut, "")
    /// No response head within the response timeout. `504`.
    public static let responseTimedOut = UpstreamError(.responseTimedOut, "")
    /// The target closed or reset the connection before a response head. `502`.
    public static let closedBeforeResponse = UpstreamError(.closedBeforeResponse, "")
    /// The target closed mid-response; the client connection is cut. (Logged as `502`.)
    public static let closedDuringResponse = UpstreamError(.closedDuringResponse, "")

    static func noTarget(_ detail: String) -> UpstreamError { UpstreamError(.noTarget, detail) }
    static func connectFailed(_ target: Target, _ error: any Error) -> UpstreamError {
        UpstreamError(.connectFailed, "target \(target): \(error)")
    }
    static func connectTimedOut(_ target: Target) -> UpstreamError { UpstreamError(.connectTimedOut, "target \(target)") }
    /// A failed connect to `target`: timed out, or failed otherwise.
    static func connect(_ target: Target, failedWith error: any Error) -> UpstreamError {
        if case ChannelError.connectTimeout = error {
            return .connectTimedOut(target)
        }
        return .connectFailed(target, error)
    }
    static func responseTimedOut(_ target: Target) -> UpstreamError { UpstreamError(.responseTimedOut, "target \(target)") }
    static func closedBeforeResponse(_ target: Target, _ why: String) -> UpstreamError {
        UpstreamError(.closedBeforeResponse, "target \(target): \(why)")
    }
    static func closedDuringResponse(_ target: Target, _ why: String) -> UpstreamError {
        UpstreamError(.closedDuringResponse, "target \(target): \(why)")
    }

    /// The one place where upstream failures become HTTP status codes.
    public var httpStatus: HTTPResponseStatus {
        switch self.code {
        case .noTarget: .serviceUnavailable
        case .connectFailed, .closedBeforeResponse, .closedDuringResponse: .badGateway
        case .connectTimedOut, .responseTimedOut: .gatewayTimeout
        }
    }

    public var description: String {
        self.detail.isEmpty ? "\(self.code)" : "\(self.code): \(self.detail)"
    }

    public static func == (lhs: UpstreamError, rhs: UpstreamError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
