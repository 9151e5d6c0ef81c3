import NIOCore
import ProxyCore

/// Token buckets kept in Redis, so that every Portcullis instance using the same Redis shares
/// them: `shared: true` on a rate limit (decision 0019).
///
/// The same generic cell rate algorithm as ``ProxyCore/RateLimiter``, run as a Lua script
/// (``script``) that reads and writes one key per bucket in one round trip. The script is
/// loaded with `SCRIPT LOAD` on every new connection and run with `EVALSHA`; when Redis has
/// lost it (`NOSCRIPT`: restarted, or `SCRIPT FLUSH`), that call is made again with `EVAL` and
/// the script loaded again.
///
/// A failed future (Redis down, slow or misbehaving: see ``RedisClient``) means "no decision";
/// the caller lets the request through (fails open).
///
/// > Important: Event-loop-bound, like its ``RedisClient``: made and called on the client's
/// > event loop.
final class SharedRateLimiter {
    let client: RedisClient
    /// The script's SHA-1 digest once Redis has told it (the reply to `SCRIPT LOAD`); until then
    /// calls use `EVAL`.
    private(set) var scriptSHA: String?
    private var reloading = false

    /// Registers the script with `client`, to be loaded on each of its connections.
    init(client: RedisClient) {
        self.client = client
        client.addConnectionSetup(["SCRIPT", "LOAD", Self.script]) { [weak self] result in
            self?.scriptLoaded(result)
        }
    }

    /// The Redis key of one bucket: `portcullis:rl:<limit name>:<key hash, 16 hex digits>`.
    ///
    /// - Parameters:
    ///   - limit: The rate limit's name, the same in every instance.
    ///   - keyHash: The request's key hashed with a hash that is the same in every instance
    ///     (FNV-1a, `RateLimitRule`'s).
    static func key(limit: String, keyHash: UInt64) -> String {
        let hex = String(keyHash, radix: 16)
        return "portcullis:rl:\(limit):" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Takes a token from the bucket `key`, if it has one.
    ///
    /// - Parameters:
    ///   - key: The bucket's Redis key (``key(limit:keyHash:)``).
    ///   - ratePerSecond: Tokens added per second (> 0), resolved to whole microseconds per token.
    ///   - burst: The bucket's size (≥ 1).
    /// - Returns: The decision, or a failure (a ``RedisClientError``) when Redis gave none.
    func take(key: String, ratePerSecond: Double, burst: Int) -> EventLoopFuture<RateLimiter.Decision> {
        precondition(ratePerSecond > 0 && burst >= 1)
        let interval = max(1, UInt64((1e6 / ratePerSecond).rounded()))
        let tolerance = interval * UInt64(burst)
        guard let sha = self.scriptSHA else {
            return self.evaluate(key: key, interval: interval, tolerance: tolerance)
        }
        let promise = self.client.eventLoop.makePromise(of: RateLimiter.Decision.self)
        self.client.send(["EVALSHA", sha, "1", key, interval, tolerance]).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let reply) where reply.errorMessage?.hasPrefix("NOSCRIPT") == true:
                self.reload()
                promise.completeWith(self.evaluate(key: key, interval: interval, tolerance: tolerance))
            case .success(let reply):
                promise.completeWith(Result { try Self.decision(from: reply) })
            case .failure(let error):
                promise.fail(error)
            }
        }
        return promise.futureResult
    }

    /// The script sent whole (`EVAL`).
    private func evaluate(key: String, interval: UInt64, tolerance: UInt64) -> EventLoopFuture<RateLimiter.Decision> {
        self.client.send(["EVAL", Self.script, "1", key, interval, tolerance]).flatMapThrowing(Self.decision(from:))
    }

    /// Loads the script again after `NOSCRIPT` (one load at a time).
    private func reload() {
        guard !self.reloading else { return }
        self.reloading = true
        self.client.send(["SCRIPT", "LOAD", Self.script]).assumeIsolated().whenComplete { result in
            self.reloading = false
            self.scriptLoaded(result)
        }
    }

    private func scriptLoaded(_ result: Result<RESPValue, any Error>) {
        if case .success(.bulkString(let digest?)) = result {
            self.scriptSHA = String(buffer: digest)
        }
    }

    /// The script's reply as a decision, with seconds rounded up as ``ProxyCore/RateLimiter``
    /// rounds them.
    static func decision(from reply: RESPValue) throws -> RateLimiter.Decision {
        guard let fields = reply.elements, fields.count == 4,
            let allowed = fields[0].integerValue, let remaining = fields[1].integerValue,
            let reset = fields[2].integerValue, let retryAfter = fields[3].integerValue,
            remaining >= 0, reset >= 0, retryAfter >= 0
        else {
            throw RedisClientError.unexpectedReply(reply.errorMessage ?? "\(reply)")
        }
        return RateLimiter.Decision(
            allowed: allowed == 1,
            remaining: Int(remaining),
            resetSeconds: Self.seconds(roundingUp: reset),
            retryAfterSeconds: allowed == 1 ? 0 : max(1, Self.seconds(roundingUp: retryAfter))
        )
    }

    private static func seconds(roundingUp microseconds: Int64) -> Int {
        Int((microseconds + 999_999) / 1_000_000)
    }
}

@available(*, unavailable)
extension SharedRateLimiter: Sendable {}
