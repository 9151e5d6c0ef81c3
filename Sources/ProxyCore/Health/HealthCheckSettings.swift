public import NIOCore

/// How a target group's targets are probed.
public struct HealthCheckSettings: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `GET path` over HTTP/1.1; passes on an expected status.
        case http(path: String)
        /// A TCP connect; passes when it succeeds.
        case tcp
        /// `grpc.health.v1.Health/Check` for `service` (`""`: the server) over prior-knowledge
        /// HTTP/2; passes when the answer is `SERVING` (``GRPCHealthMessages``).
        case grpc(service: String)
    }

    public var kind: Kind
    /// Probe this port instead of the target's own.
    public var port: Int?
    public var interval: TimeAmount
    public var timeout: TimeAmount
    public var healthyThreshold: Int
    public var unhealthyThreshold: Int
    /// Status codes that pass.
    public var expectedStatus: [ClosedRange<Int>]

    public init(
        kind: Kind = .http(path: "/"),
        port: Int? = nil,
        interval: TimeAmount = .seconds(30),
        timeout: TimeAmount = .seconds(5),
        healthyThreshold: Int = 2,
        unhealthyThreshold: Int = 2,
        expectedStatus: [ClosedRange<Int>] = [200...399]
    ) {
        self.kind = kind
        self.port = port
        self.interval = interval
        self.timeout = timeout
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        self.expectedStatus = expectedStatus
    }

    public func accepts(status: Int) -> Bool {
        self.expectedStatus.contains { $0.contains(status) }
    }
}
