import CoreMetrics
import Metrics
import NIOConcurrencyHelpers
import NIOHTTP1
import ProxyCore

/// The ``ProxyObserver`` of one event loop: counts each request in the metrics, keeps the
/// per-target-group totals scaling rules read, and hands the record to the access log.
///
/// Confined to its event loop, so its caches need no lock; the metric objects it caches are
/// thread-safe and shared with every other loop through the registry.
final class LoopObserver: ProxyObserver, @unchecked Sendable {
    private struct RequestKey: Hashable {
        var listener: String
        var route: String
        var targetGroup: String
        var target: String
        var statusClass: String
        var `protocol`: String

        /// Whether this is the key of a record with these fields (`nil` reads as `-`).
        @inline(__always)
        func matches(listener: String, route: String?, targetGroup: String?, target: String?, statusClass: String, protocol: String) -> Bool {
            self.statusClass == statusClass && self.protocol == `protocol` && self.listener == listener
                && Self.same(self.route, route) && Self.same(self.targetGroup, targetGroup) && Self.same(self.target, target)
        }

        @inline(__always)
        private static func same(_ stored: String, _ value: String?) -> Bool {
            if let value { return stored == value }
            return stored == "-"
        }
    }

    private struct LatencyKey: Hashable {
        var listener: String
        var targetGroup: String
    }

    private let metrics: ServerMetrics
    private let accessLog: AccessLogWriter
    private var requestCounters: [RequestKey: CoreMetrics.Counter] = [:]
    /// The last few keys used, checked before hashing five strings: keep-alive traffic repeats
    /// the same route and targets, and equal strings from the same storage compare in O(1).
    private var recentCounters: [(key: RequestKey, counter: CoreMetrics.Counter)] = []
    private var recentTimer: (key: LatencyKey, timer: Metrics.Timer)?
    private var latencyTimers: [LatencyKey: Metrics.Timer] = [:]
    private var retryCounters: [String: CoreMetrics.Counter] = [:]
    private var bytesIn: [String: CoreMetrics.Counter] = [:]
    private var bytesOut: [String: CoreMetrics.Counter] = [:]
    /// The byte counters of the last listener seen: keep-alive traffic repeats it.
    private var recentBytes: (listener: String, received: CoreMetrics.Counter, sent: CoreMetrics.Counter)?
    /// Per target group totals for scaling rules; kept only while some rule needs them (set on
    /// the loop by the server). Confined to the loop.
    private(set) var groupTraffic: [String: GroupTraffic] = [:]
    /// Open tunnels and their bytes, by route and target (a tunnel is rare next to a request:
    /// a dictionary lookup per open, close and record).
    private var tunnelMeters: [String: CoreMetrics.Meter] = [:]
    private var tunnelByteCounters: [String: (up: CoreMetrics.Counter, down: CoreMetrics.Counter)] = [:]
    var tracksGroupTraffic = false
    /// HTTP/2 gauges and defence counters, by listener (and reason).
    private var http2Meters: [String: (connections: CoreMetrics.Meter, streams: CoreMetrics.Meter)] = [:]
    private var http2Defences: [String: CoreMetrics.Counter] = [:]
    /// Edge-policy refusals (and monitored hygiene findings), by listener, route, reason, action.
    private var refusals: [String: CoreMetrics.Counter] = [:]
    private var rateLimited: [String: CoreMetrics.Counter] = [:]
    private var redisErrors: [String: CoreMetrics.Counter] = [:]
    /// By coding: compressed responses, and their body bytes in (from targets) and out.
    private var compressed: [String: CoreMetrics.Counter] = [:]
    private var compressionBytes: [String: CoreMetrics.Counter] = [:]
    /// Requests on routes with a cache, by route and result (hit, stale, revalidated, miss, bypass, purge).
    private var cacheRequests: [String: CoreMetrics.Counter] = [:]

    init(metrics: ServerMetrics, accessLog: AccessLogWriter) {
        self.metrics = metrics
        self.accessLog = accessLog
    }

    /// The access log is on.
    var wantsRequestDetails: Bool { self.accessLog.isEnabled }

    func requestCompleted(_ record: consuming RequestRecord) {
        let statusClass = record.statusClass
        let protocolName = record.version.major == 2 ? "h2" : "http1"
        // The recent keys are compared with the record's fields in place: a key made per
        // request retained and released its six strings (~400 instructions per request).
        // By index: `for recent in` copied each (key, counter) pair.
        var counter: CoreMetrics.Counter?
        for index in self.recentCounters.indices
        where self.recentCounters[index].key.matches(
            listener: record.listener,
            route: record.route,
            targetGroup: record.targetGroup,
            target: record.target,
            statusClass: statusClass,
            protocol: protocolName
        ) {
            counter = self.recentCounters[index].counter
            break
        }
        if counter == nil {
            let key = RequestKey(
                listener: record.listener,
                route: record.route ?? "-",
                targetGroup: record.targetGroup ?? "-",
                target: record.target ?? "-",
                statusClass: statusClass,
                protocol: protocolName
            )
            if let cached = self.requestCounters[key] {
                counter = cached
                self.remember(key, cached)
            } else {
                let made = self.metrics.counter(
                    "portcullis_requests_total",
                    [
                        ("listener", key.listener), ("route", key.route), ("target_group", key.targetGroup),
                        ("target", key.target), ("status_class", key.statusClass), ("protocol", key.protocol),
                    ]
                )
                self.requestCounters[key] = made
                self.remember(key, made)
                counter = made
            }
        }
        counter!.increment()

        let timer: Metrics.Timer
        // Read in place: a copy of the pair retained its strings and its timer.
        if self.recentTimer?.key.listener == record.listener, self.recentTimer?.key.targetGroup == (record.targetGroup ?? "-"),
            let recent = self.recentTimer?.timer
        {
            timer = recent
        } else {
            let latencyKey = LatencyKey(listener: record.listener, targetGroup: record.targetGroup ?? "-")
            if let cached = self.latencyTimers[latencyKey] {
                timer = cached
            } else {
                timer = self.metrics.timer(
                    "portcullis_request_duration_seconds",
                    [("listener", latencyKey.listener), ("target_group", latencyKey.targetGroup)]
                )
                self.latencyTimers[latencyKey] = timer
            }
            self.recentTimer = (latencyKey, timer)
        }
        timer.recordNanoseconds(record.totalNanoseconds)

        if record.retries > 0 {
            let group = record.targetGroup ?? "-"
            self.cached(&self.retryCounters, group, "portcullis_retries_total", [("target_group", group)])
                .increment(by: Int64(record.retries))
        }
        if record.requestBytes > 0 || record.responseBytes > 0 {
            let counters: (listener: String, received: CoreMetrics.Counter, sent: CoreMetrics.Counter)
            if let recent = self.recentBytes, recent.listener == record.listener {
                counters = recent
            } else {
                counters = (
                    record.listener,
                    self.cached(&self.bytesIn, record.listener, "portcullis_received_bytes_total", [("listener", record.listener)]),
                    self.cached(&self.bytesOut, record.listener, "portcullis_sent_bytes_total", [("listener", record.listener)])
                )
                self.recentBytes = counters
            }
            if record.requestBytes > 0 { counters.received.increment(by: Int64(record.requestBytes)) }
            if record.responseBytes > 0 { counters.sent.increment(by: Int64(record.responseBytes)) }
        }
        if self.tracksGroupTraffic, let targetGroup = record.targetGroup {
            self.groupTraffic[targetGroup, default: GroupTraffic()].record(nanoseconds: record.totalNanoseconds)
        }
        if let reason = record.refusal ?? record.monitored {
            let route = record.route ?? "-"
            let action = record.refusal != nil ? "refused" : "monitored"
            self.cached(
                &self.refusals,
                "\(record.listener)\u{0}\(route)\u{0}\(reason)\u{0}\(action)",
                "portcullis_requests_refused_total",
                [("listener", record.listener), ("route", route), ("reason", reason), ("action", action)]
            ).increment()
            if let key = record.rateLimitKey {
                self.cached(
                    &self.rateLimited,
                    "\(record.listener)\u{0}\(route)\u{0}\(key)",
                    "portcullis_rate_limited_total",
                    [("listener", record.listener), ("route", route), ("key", key)]
                ).increment()
            }
        }
        // Tested in place first: `if let` alone copied the optional (through an outlined
        // copy) on every record, most of which have none.
        if record.compression?.bytesIn != nil, let compression = record.compression {
            let coding = compression.coding.token
            self.cached(&self.compressed, coding, "portcullis_compressed_responses_total", [("encoding", coding)]).increment()
            self.cached(&self.compressionBytes, "in\u{0}\(coding)", "portcullis_compression_bytes_total", [("direction", "in"), ("encoding", coding)])
                .increment(by: Int64(compression.bytesIn))
            self.cached(&self.compressionBytes, "out\u{0}\(coding)", "portcullis_compression_bytes_total", [("direction", "out"), ("encoding", coding)])
                .increment(by: Int64(compression.bytesOut))
        }
        if record.cache?.isEmpty != nil, let cache = record.cache {
            let route = record.route ?? "-"
            self.cached(&self.cacheRequests, "\(route)\u{0}\(cache)", "portcullis_cache_requests_total", [("route", route), ("result", cache)]).increment()
        }
        if record.status == 101 {
            // A tunnel's record comes when it closes, with the bytes each way.
            let route = record.route ?? "-"
            let target = record.target ?? "-"
            let counters = self.tunnelBytes(route: route, target: target)
            counters.up.increment(by: Int64(record.requestBytes))
            counters.down.increment(by: Int64(record.responseBytes))
        }
        self.accessLog.write(record)
    }

    func sharedRateLimitFailedOpen(listener: String) {
        self.cached(&self.redisErrors, listener, "portcullis_rate_limit_redis_errors_total", [("listener", listener)]).increment()
    }

    func http2ConnectionChanged(listener: String, open: Bool) {
        let meter = self.http2Meters(listener).connections
        if open { meter.increment() } else { meter.decrement() }
        self.metrics.http2Open(listener: listener, connections: open ? 1 : -1, streams: 0)
    }

    func http2StreamChanged(listener: String, open: Bool) {
        let meter = self.http2Meters(listener).streams
        if open { meter.increment() } else { meter.decrement() }
        self.metrics.http2Open(listener: listener, connections: 0, streams: open ? 1 : -1)
    }

    func http2DefenceFired(listener: String, defence: HTTP2Defence) {
        self.cached(
            &self.http2Defences,
            "\(listener)\u{0}\(defence.rawValue)",
            "portcullis_http2_defences_total",
            [("listener", listener), ("reason", defence.rawValue)]
        ).increment()
    }

    private func http2Meters(_ listener: String) -> (connections: CoreMetrics.Meter, streams: CoreMetrics.Meter) {
        if let meters = self.http2Meters[listener] { return meters }
        let meters = (
            self.metrics.meter("portcullis_http2_connections_open", [("listener", listener)]),
            self.metrics.meter("portcullis_http2_streams_open", [("listener", listener)])
        )
        self.http2Meters[listener] = meters
        return meters
    }

    func tunnelOpened(route: String?, target: String) {
        self.tunnelsOpen(route: route ?? "-", target: target).increment()
    }

    func tunnelClosed(route: String?, target: String) {
        self.tunnelsOpen(route: route ?? "-", target: target).decrement()
    }

    private func tunnelsOpen(route: String, target: String) -> CoreMetrics.Meter {
        let key = "\(route)\u{0}\(target)"
        if let meter = self.tunnelMeters[key] { return meter }
        let meter = self.metrics.meter("portcullis_tunnels_open", [("route", route), ("target", target)])
        self.tunnelMeters[key] = meter
        return meter
    }

    private func tunnelBytes(route: String, target: String) -> (up: CoreMetrics.Counter, down: CoreMetrics.Counter) {
        let key = "\(route)\u{0}\(target)"
        if let counters = self.tunnelByteCounters[key] { return counters }
        let counters = (
            self.metrics.counter("portcullis_tunnel_bytes_total", [("route", route), ("target", target), ("direction", "to_target")]),
            self.metrics.counter("portcullis_tunnel_bytes_total", [("route", route), ("target", target), ("direction", "to_client")])
        )
        self.tunnelByteCounters[key] = counters
        return counters
    }

    private func remember(_ key: RequestKey, _ counter: CoreMetrics.Counter) {
        if self.recentCounters.count >= 8 { self.recentCounters.removeFirst() }
        self.recentCounters.append((key, counter))
    }

    private func cached(
        _ cache: inout [String: CoreMetrics.Counter],
        _ key: String,
        _ label: String,
        _ dimensions: @autoclosure () -> [(String, String)]
    ) -> CoreMetrics.Counter {
        if let counter = cache[key] { return counter }
        let counter = self.metrics.counter(label, dimensions())
        cache[key] = counter
        return counter
    }
}
