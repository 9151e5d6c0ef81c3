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
    /// Label sets of the read-at-scrape gauges last exported, so those of deregistered targets
    /// and removed listeners disappear instead of repeating their last value forever.
    private let exportedGauges = NIOLockedValueBox<Set<GaugeKey>>([])

    struct GaugeKey: Hashable, Sendable {
        var label: String
        var dimensions: [String]
    }

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

    /// Open HTTP/2 connections and streams by listener, for the admin API's status (the meters
    /// `portcullis_http2_*_open` say the same to Prometheus).
    private let http2OpenCounts = NIOLockedValueBox<[String: (connections: Int, streams: Int)]>([:])

    func http2Open(listener: String, connections: Int, streams: Int) {
        self.http2OpenCounts.withLockedValue { counts in
            var entry = counts[listener] ?? (0, 0)
            entry.connections += connections
            entry.streams += streams
            counts[listener] = entry
        }
    }

    func http2OpenByListener() -> [String: (connections: Int, streams: Int)] {
        self.http2OpenCounts.withLockedValue { $0 }
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: label, dimensions: dimensions, factory: self.factory)
    }

    func timer(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        Metrics.Timer(label: label, dimensions: dimensions, preferredDisplayUnit: .seconds, factory: self.factory)
    }

    /// A gauge moved up and down by every loop (a Prometheus gauge with `inc`/`dec`).
    func meter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Meter {
        CoreMetrics.Meter(label: label, dimensions: dimensions, factory: self.factory)
    }

    func gauge(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: label, dimensions: dimensions, factory: self.factory)
    }

    /// Sets the gauges read at scrape time to `values`, and removes those of the last scrape that
    /// are no longer there.
    func replaceGauges(_ values: [(label: String, dimensions: [(String, String)], value: Double)]) {
        var current: Set<GaugeKey> = []
        for entry in values {
            self.gauge(entry.label, entry.dimensions).record(entry.value)
            current.insert(GaugeKey(label: entry.label, dimensions: entry.dimensions.flatMap { [$0.0, $0.1] }))
        }
        let stale = self.exportedGauges.withLockedValue { exported in
            defer { exported = current }
            return exported.subtracting(current)
        }
        for key in stale {
            var dimensions: [(String, String)] = []
            var index = 0
            while index + 1 < key.dimensions.count {
                dimensions.append((key.dimensions[index], key.dimensions[index + 1]))
                index += 2
            }
            self.gauge(key.label, dimensions).destroy()
        }
    }

    /// TLS handshake counters, one per label set, made once: making one goes through the
    /// registry's lock and hashes its labels, which every handshake would otherwise pay.
    private let handshakeCounters = NIOLockedValueBox<[HandshakeCounter: CoreMetrics.Counter]>([:])

    private enum HandshakeCounter: Hashable {
        case completed(listener: String, version: String, resumed: Bool)
        case failed(listener: String)
    }

    /// A completed TLS handshake, counted from any loop.
    func handshake(listener: String, version: String, resumed: Bool) {
        self.counter(for: .completed(listener: listener, version: version, resumed: resumed)).increment()
    }

    /// A connection closed at accept or before its first request (`connections_per_ip`, an
    /// untrusted or broken PROXY protocol peer), counted from any loop (rare: no cache).
    func connectionRefused(listener: String, reason: String) {
        self.counter("portcullis_connections_refused_total", [("listener", listener), ("reason", reason)]).increment()
    }

    /// A failed TLS handshake, counted from any loop.
    /// `portcullis_acme_orders_total{listener, result}`: ACME orders by result (`success`, `failure`).
    func acmeOrder(listener: String, result: String) {
        self.counter("portcullis_acme_orders_total", [("listener", listener), ("result", result)]).increment()
    }

    /// `portcullis_dns_resolutions_total{target_group, result}`: resolutions of `dns:`/`srv:`
    /// entries by result (`success`, `capped`: an answer cut to the entry's `max_targets`,
    /// `empty`, `timeout`, `error_response`, `malformed`, `error`).
    func dnsResolution(group: String, result: String) {
        self.counter("portcullis_dns_resolutions_total", [("target_group", group), ("result", result)]).increment()
    }

    func handshakeFailed(listener: String) {
        self.counter(for: .failed(listener: listener)).increment()
    }

    private func counter(for key: HandshakeCounter) -> CoreMetrics.Counter {
        self.handshakeCounters.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter: CoreMetrics.Counter
            switch key {
            case .completed(let listener, let version, let resumed):
                counter = self.counter(
                    "portcullis_tls_handshakes_total",
                    [("listener", listener), ("version", version), ("kind", resumed ? "resumed" : "full")]
                )
            case .failed(let listener):
                counter = self.counter("portcullis_tls_handshake_failures_total", [("listener", listener)])
            }
            counters[key] = counter
            return counter
        }
    }

    /// The Prometheus text exposition.
    func emit() -> String {
        self.registry.emitToString()
    }
}
