public import NIOCore

/// Sends one health probe. The composition root implements it with sockets; tests with fakes.
public protocol HealthProber: Sendable {
    /// Probes `target` once. The future succeeds with the result (never fails) on `eventLoop`.
    func probe(_ target: Target, settings: HealthCheckSettings, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult>
}
