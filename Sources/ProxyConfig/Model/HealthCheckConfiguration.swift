/// The active health check of a target group: the `health_check` block.
///
/// Configuration keys (all optional):
/// - `enabled` (bool, default `true`). When false every target counts as healthy.
/// - `protocol` (`http`, `tcp` or `grpc`, default `http`): an HTTP GET, just a TCP connect, or
///   the standard gRPC health check (`grpc.health.v1.Health/Check` over h2c; passes on SERVING).
/// - `service` (string, default empty: the whole server): the service name a `grpc` check asks about.
/// - `path` (string starting with `/`, default `/`): the path probed by `http` checks.
/// - `port` (`traffic-port` or 1...65535, default `traffic-port`): the target's own port, or another.
/// - `interval` (duration, default `30s`, 1s...1h): time between probes of one target.
/// - `timeout` (duration, default `5s`): must be shorter than `interval`. A command-line
///   `--health-interval` brings a default timeout along: at most half the interval.
/// - `healthy_threshold` (integer 1...10, default 2): consecutive passes to become healthy.
/// - `unhealthy_threshold` (integer 1...10, default 2): consecutive failures to become unhealthy.
/// - `expect_status` (codes and ranges, default `200-399`): such as `200`, `200-299` or
///   `"200,204,300-399"`; an `http` probe passes when the status is in one of them.
public struct HealthCheckConfiguration: Sendable, Equatable {
    /// The `timeout` of a check that names none.
    public static let defaultTimeout = Duration.seconds(5)

    public var enabled: Bool
    public var `protocol`: HealthCheckProtocol
    public var path: String
    /// The service a `grpc` check names (`""`: the server as a whole).
    public var service = ""
    public var port: HealthCheckPort
    public var interval: Duration
    public var timeout: Duration
    public var healthyThreshold: Int
    public var unhealthyThreshold: Int
    /// Status codes, each in 100...599, that count as a pass.
    public var expectStatus: [ClosedRange<Int>]

    public init(
        enabled: Bool = true,
        protocol: HealthCheckProtocol = .http,
        path: String = "/",
        port: HealthCheckPort = .trafficPort,
        interval: Duration = .seconds(30),
        timeout: Duration = HealthCheckConfiguration.defaultTimeout,
        healthyThreshold: Int = 2,
        unhealthyThreshold: Int = 2,
        expectStatus: [ClosedRange<Int>] = [200...399]
    ) {
        self.enabled = enabled
        self.protocol = `protocol`
        self.path = path
        self.port = port
        self.interval = interval
        self.timeout = timeout
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        self.expectStatus = expectStatus
    }

    /// Whether an HTTP probe answered with `status` passes.
    public func accepts(status: Int) -> Bool {
        self.expectStatus.contains { $0.contains(status) }
    }
}

/// What a health probe does.
public enum HealthCheckProtocol: String, Sendable, Hashable, CaseIterable {
    /// Send `GET <path>` and check the status code.
    case http
    /// Open a TCP connection and close it again.
    case tcp
    /// Call `grpc.health.v1.Health/Check` over prior-knowledge HTTP/2; pass on `SERVING`.
    case grpc
}

/// Which port a health probe connects to.
public enum HealthCheckPort: Sendable, Hashable {
    /// The port the target serves traffic on (`traffic-port`).
    case trafficPort
    /// A fixed port, 1...65535, for every target of the group.
    case fixed(Int)
}
