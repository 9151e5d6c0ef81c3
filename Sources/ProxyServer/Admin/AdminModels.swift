/// The JSON documents of the admin API. Keys are written in snake_case (see `docs/admin-api.md`).
enum AdminModels {
    struct Status: Codable, Sendable {
        var ready: Bool
        var uptimeSeconds: Double
        var openConnections: Int
        var reloads: Int
        var lastReloadError: String?
        var listeners: [Listener]
        var targetGroups: [TargetGroup]
    }

    struct Listener: Codable, Sendable {
        var name: String
        var address: String
        var `protocol`: String
        var openConnections: Int
        /// Of ``openConnections``, those speaking HTTP/2, and their open streams.
        var http2Connections: Int
        var http2Streams: Int
        var routes: [String]
    }

    struct TargetGroup: Codable, Sendable {
        var name: String
        var policy: String
        var healthCheck: String?
        var healthyTargets: Int
        var targets: [Target]
    }

    struct Target: Codable, Sendable {
        var id: String
        var name: String
        var host: String
        var port: Int
        var weight: Int
        /// `unknown`, `healthy`, `unhealthy` or `draining`: what routing uses.
        var state: String
        /// The health check's own verdict, current while draining too.
        var health: String
        var serving: Bool
        var inFlight: Int
        var lastProbe: String?
        var consecutivePasses: Int
        var consecutiveFailures: Int
        var ejected: Bool
        var maxConnections: Int?
    }

    struct RegisterRequest: Codable, Sendable {
        /// `host:port`.
        var address: String
        var weight: Int?
        var name: String?
        var maxConnections: Int?
    }

    struct WeightRequest: Codable, Sendable {
        var weight: Int
    }

    struct DrainRequest: Codable, Sendable {
        var wait: Bool?
        /// Seconds to wait at most (default 300).
        var timeoutSeconds: Double?
    }

    struct DrainResult: Codable, Sendable {
        var target: Target
        /// `drained` (in-flight reached 0), `timed_out`, or `draining` (did not wait).
        var outcome: String
        var inFlight: Int
        var waitedSeconds: Double
        /// Tunnels (WebSocket and other upgrades) to the target closed because the wait ran out.
        var tunnelsClosed: Int = 0
    }

    struct AttachRequest: Codable, Sendable {
        var immediately: Bool?
    }

    struct Deregistered: Codable, Sendable {
        var deregistered: String
    }

    struct Reloaded: Codable, Sendable {
        var reloaded: Bool
        var summary: ReloadSummary
    }

    struct Problem: Codable, Sendable {
        var error: String
    }
}
