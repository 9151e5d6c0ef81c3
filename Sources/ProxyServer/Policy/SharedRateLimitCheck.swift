import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import ProxyCore

/// A `shared: true` rate limit: its buckets live in Redis (``SharedRateLimiter``), one for every
/// instance that uses the same Redis. Asked after the request's in-process checks passed.
///
/// Redis unreachable, slow (past the client's command timeout) or answering nonsense: the
/// request **passes** (fail open), counted in `portcullis_rate_limit_redis_errors_total` and
/// logged at most once per 10 s per limit — an outage of the limiter never blocks all traffic.
final class SharedRateLimitCheck: AdmissionCheck {
    let rule: RateLimitRule.Key
    let name: String
    let ratePerSecond: Double
    let burst: Int
    let policyField: String
    private let redis: SharedRedisLimiters
    private let logger: Logger
    private let lastWarning = NIOLockedValueBox(NIODeadline.distantPast)

    init(
        key: RateLimitRule.Key,
        name: String,
        ratePerSecond: Double,
        burst: Int,
        redis: SharedRedisLimiters,
        logger: Logger
    ) {
        self.rule = key
        self.name = name
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.policyField = key.policyField(burst: burst, ratePerSecond: ratePerSecond)
        self.redis = redis
        self.logger = logger
    }

    func admit(_ request: AdmissionRequest, loop: ProxyLoop) -> EventLoopFuture<Admission> {
        let eventLoop = loop.eventLoop
        let claims = request.claims
        guard let hash = self.rule.hash(clientAddress: request.clientAddress, fields: request.head.headers, claim: { claims[$0] }) else {
            return eventLoop.makeSucceededFuture(.passed(requestFields: [], responseFields: []))
        }
        let limiter = self.redis.limiter(on: eventLoop)
        let key = SharedRateLimiter.key(limit: self.name, keyHash: hash)
        return limiter.take(key: key, ratePerSecond: self.ratePerSecond, burst: self.burst).map { decision -> Admission in
            var responseFields: [PolicyRefusal.Field] = []
            if let refusal = self.rule.outcome(decision, policyField: self.policyField, limitName: "\(self.name), shared", responseFields: &responseFields) {
                return .refused(refusal)
            }
            return .passed(requestFields: [], responseFields: responseFields)
        }.recover { error in
            loop.observer?.sharedRateLimitFailedOpen(listener: request.listener)
            let now = NIODeadline.now()
            let warn = self.lastWarning.withLockedValue { last -> Bool in
                guard now - last > .seconds(10) else { return false }
                last = now
                return true
            }
            if warn {
                self.logger.warning(
                    "shared rate limit: Redis gave no answer; letting requests through",
                    metadata: ["limit": "\(self.name)", "error": "\(error)"]
                )
            }
            return .passed(requestFields: [], responseFields: [])
        }
    }
}

/// The ``SharedRateLimiter`` of each event loop for one Redis (one connection per loop, shared by
/// every shared limit of the configuration). Made on first use on each loop; the lock is taken
/// only to find it.
final class SharedRedisLimiters: Sendable {
    let host: String
    let port: Int
    private let configuration: RedisClient.Configuration
    private let limiters = NIOLockedValueBox([ObjectIdentifier: NIOLoopBound<SharedRateLimiter>]())

    init(host: String, port: Int) {
        self.host = host
        self.port = port
        self.configuration = RedisClient.Configuration(host: host, port: port)
    }

    /// Call on `eventLoop`.
    func limiter(on eventLoop: any EventLoop) -> SharedRateLimiter {
        let id = ObjectIdentifier(eventLoop)
        if let bound = self.limiters.withLockedValue({ $0[id] }) {
            return bound.value
        }
        let limiter = SharedRateLimiter(client: RedisClient(configuration: self.configuration, eventLoop: eventLoop))
        self.limiters.withLockedValue { $0[id] = NIOLoopBound(limiter, eventLoop: eventLoop) }
        return limiter
    }

    /// Closes every loop's connection (a reload that drops or changes `global.redis`).
    func close() {
        let all = self.limiters.withLockedValue { limiters in
            defer { limiters.removeAll() }
            return Array(limiters.values)
        }
        for bound in all {
            bound.eventLoop.execute { _ = bound.value.client.close() }
        }
    }
}
