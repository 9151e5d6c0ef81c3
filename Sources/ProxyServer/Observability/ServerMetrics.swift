import CoreMetrics
import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// The server's metrics: a Prometheus registry of its own (not the process-global one, so every
/// ``ProxyServer`` in a process — tests run many — keeps separate counts), fed through the
/// swift-metrics API, and emitted in the Prometheus text format by `GET /metrics`.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    /// Upper bounds of the request latency histogram.
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .microseconds(2_500_000), .seconds(5), .seconds(10),
    ]

    init() {
        var factory = PrometheusMetricsFactory(registry: self.registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: label, dimensions: dimensions, factory: self.factory)
    }

    func timer(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        Metrics.Timer(label: label, dimensions: dimensions, preferredDisplayUnit: .seconds, factory: self.factory)
    }

    func gauge(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: label, dimensions: dimensions, factory: self.factory)
    }

    /// TLS handshakes, counted from any loop.
    func handshake(listener: String, version: String, resumed: Bool) {
        self.counter(
            "portcullis_tls_handshakes_total",
            [("listener", listener), ("version", version), ("kind", resumed ? "resumed" : "full")]
        ).increment()
    }

    func handshakeFailed(listener: String) {
        self.counter("portcullis_tls_handshake_failures_total", [("listener", listener)]).increment()
    }

    /// The Prometheus text exposition.
    func emit() -> String {
        self.registry.emitToString()
    }
}
