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
        /// The group's `dns:`/`srv:` entries and their last resolution; absent without any.
        var discovery: [DNSResolution]? = nil
    }

    /// The last resolution of one `dns:` or `srv:` entry (decision 0032).
    struct DNSResolution: Codable, Sendable {
        /// `dns:app.internal:8080` or `srv:_http._tcp.app.internal`.
        var source: String
        /// When it was last tried (RFC 3339, UTC); `null` before the first try.
        var resolvedAt: String?
        /// `ok`, or the failure (the last good answer stays in use).
        var result: String
        /// The targets of the last good answer (`host:port`).
        var answer: [String]
        var ttlSeconds: UInt32?
        var lastSuccessAt: String?
        /// Targets the last good answer named beyond the entry's `max_targets` (not used).
        var targetsCut: Int
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
        /// The DNS entry that found the target (`dns:…`, `srv:…`); absent for the file's and
        /// registered targets.
        var source: String? = nil
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
        /// In a fleet, when the wait ran out: the instances still waited for, with their
        /// requests in flight (-1: the drain had not reached that instance).
        var instancesWaitedFor: [String: Int]?
    }

    /// `GET /fleet`: every live instance of the fleet, as each publishes itself in etcd.
    struct Fleet: Codable, Sendable {
        var fleet: String
        var etcd: String
        var instances: [FleetInstanceView]
    }

    struct AttachRequest: Codable, Sendable {
        var immediately: Bool?
    }

    struct Deregistered: Codable, Sendable {
        var deregistered: String
    }

    /// `DELETE /cache`: how many URLs (with all their variants) were removed, from which caches.
    struct CachePurged: Codable, Sendable {
        var purged: Int
        var routes: [String]
    }

    struct Reloaded: Codable, Sendable {
        var reloaded: Bool
        var summary: ReloadSummary
    }

    /// `GET /certificates`.
    struct Certificates: Codable, Sendable {
        var certificates: [Certificate]
    }

    /// One certificate a listener serves (docs/admin-api.md).
    struct Certificate: Codable, Sendable {
        var listener: String
        /// SAN DNS names and IP addresses (the CN when there are none).
        var names: [String]
        var subject: String
        var issuer: String
        /// RFC 3339, UTC.
        var notBefore: String?
        var notAfter: String?
        var expiresInSeconds: Double?
        /// `file`, `acme` or `dev` (issued by the development CA).
        var source: String
        var certificateFile: String
        var keyFile: String
        /// SHA-256 of the leaf, hex.
        var fingerprint: String
        /// The listener's last refresh outside a reload (file watch, ACME), if any.
        var lastRefresh: String?
        /// The last refresh error naming one of this certificate's files, or the manager's last
        /// renewal error; `null` when all is well.
        var lastError: String?
        /// When the certificate manager renews it next; `null` for files.
        var nextRenewal: String?
        var ocsp: OCSPStaple
    }

    struct OCSPStaple: Codable, Sendable {
        init(
            status: String, responder: String? = nil, thisUpdate: String? = nil, nextUpdate: String? = nil,
            fetchedAt: String? = nil, nextFetch: String? = nil, lastError: String? = nil
        ) {
            (self.status, self.responder, self.thisUpdate, self.nextUpdate) = (status, responder, thisUpdate, nextUpdate)
            (self.fetchedAt, self.nextFetch, self.lastError) = (fetchedAt, nextFetch, lastError)
        }

        /// `off` (tls.ocsp_stapling false), `no_responder` (the leaf names none), `pending`
        /// (nothing fetched yet), `good`, `revoked`, `unknown` (what the stapled response says),
        /// or `none` (fetches failed and no valid response is held).
        var status: String
        var responder: String?
        var thisUpdate: String?
        var nextUpdate: String?
        var fetchedAt: String?
        var nextFetch: String?
        var lastError: String?
    }

    struct Problem: Codable, Sendable {
        var error: String
    }
}
