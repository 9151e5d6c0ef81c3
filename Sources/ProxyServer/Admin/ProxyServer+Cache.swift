import Foundation
import NIOConcurrencyHelpers
import ProxyCore

/// The admin API's view of the routes' HTTP caches (docs/admin-api.md): `DELETE /cache` and the
/// cache gauges of `/metrics`.
extension ProxyServer {
    /// Every route cache in force: listener, route, store.
    func routeCaches() -> [(listener: String, route: String, cache: ResponseCache)] {
        let listeners = self.state.withLockedValue { $0.listeners }
        return listeners.flatMap { listener in
            let plan = listener.plan
            return plan.settings.router.routes.compactMap { route in
                route.cache.map { (plan.name, route.name, $0) }
            }
        }
    }

    /// `DELETE /cache?prefix=/assets`, `?tag=x` or `?all=true`, optionally `&route=name`: removes
    /// the matching responses from every route cache (or the named route's).
    func purgeCaches(query: String) throws -> AdminModels.CachePurged {
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { String($0) }
            guard let first = parts.first, !first.isEmpty else {
                throw AdminBadRequest(message: "a parameter without a name in \"\(query)\"")
            }
            let name = first.removingPercentEncoding ?? first
            let value = parts.count > 1 ? (parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? parts[1]) : ""
            parameters[name] = value
        }
        let unknown = parameters.keys.filter { !["prefix", "tag", "all", "route"].contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw AdminBadRequest(message: "unknown parameter \(unknown.joined(separator: ", ")) (use prefix, tag or all=true, and optionally route)")
        }
        let selectors = [parameters["prefix"] != nil, parameters["tag"] != nil, parameters["all"] == "true"].filter { $0 }.count
        guard selectors == 1 else {
            throw AdminBadRequest(message: "name exactly one of prefix=/path, tag=name or all=true")
        }
        if let prefix = parameters["prefix"], !prefix.hasPrefix("/") {
            throw AdminBadRequest(message: "prefix must start with / (got \"\(prefix)\")")
        }
        var caches = self.routeCaches()
        if let route = parameters["route"] {
            caches = caches.filter { $0.route == route }
            guard !caches.isEmpty else { throw AdminNotFound(message: "no route named \(route) has a cache") }
        }
        var purged = 0
        for entry in caches {
            if let prefix = parameters["prefix"] {
                purged += entry.cache.purge(pathPrefix: prefix)
            } else if let tag = parameters["tag"] {
                purged += entry.cache.purge(tag: tag)
            } else {
                purged += entry.cache.purgeAll()
            }
        }
        return AdminModels.CachePurged(purged: purged, routes: caches.map { "\($0.listener)/\($0.route)" })
    }

    /// `portcullis_cache_bytes`, `portcullis_cache_objects` and `portcullis_cache_evictions_total`
    /// by route and tier (`memory`, and `disk` for a route with `cache.disk`).
    func cacheGauges() -> [(label: String, dimensions: [(String, String)], value: Double)] {
        var gauges: [(label: String, dimensions: [(String, String)], value: Double)] = []
        for entry in self.routeCaches() {
            let statistics = entry.cache.statistics
            let dimensions = [("listener", entry.listener), ("route", entry.route), ("tier", "memory")]
            gauges.append(("portcullis_cache_bytes", dimensions, Double(statistics.bytes)))
            gauges.append(("portcullis_cache_objects", dimensions, Double(statistics.objects)))
            gauges.append(("portcullis_cache_evictions_total", dimensions, Double(statistics.evictions)))
            if let disk = entry.cache.diskStatistics {
                let dimensions = [("listener", entry.listener), ("route", entry.route), ("tier", "disk")]
                gauges.append(("portcullis_cache_bytes", dimensions, Double(disk.bytes)))
                gauges.append(("portcullis_cache_objects", dimensions, Double(disk.objects)))
                gauges.append(("portcullis_cache_evictions_total", dimensions, Double(disk.evictions)))
            }
        }
        return gauges
    }
}
