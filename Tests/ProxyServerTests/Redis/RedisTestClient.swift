import NIOCore
import NIOPosix
import ProxyCore

@testable import ProxyServer

/// A ``RedisClient`` and a ``SharedRateLimiter`` on it, driven from a test's task: each call hops
/// onto the client's event loop, where both live.
struct RedisTestClient: Sendable {
    let loop: any EventLoop
    private let parts: NIOLoopBound<(client: RedisClient, limiter: SharedRateLimiter)>

    init(
        port: Int,
        on loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
        commandTimeout: TimeAmount = .milliseconds(500),
        initialBackoff: TimeAmount = .milliseconds(100)
    ) async throws {
        var configuration = RedisClient.Configuration(
            host: "127.0.0.1",
            port: port,
            commandTimeout: commandTimeout,
            initialBackoff: initialBackoff
        )
        // The client caps every backoff at `maximumBackoff`: a test that asks for a longer initial
        // backoff gets it as asked (a capped 60 s backoff ended after 5 s on a machine stalled for 11 s).
        configuration.maximumBackoff = max(configuration.maximumBackoff, initialBackoff)
        let settings = configuration
        self.loop = loop
        self.parts = try await loop.submit {
            let client = RedisClient(configuration: settings, eventLoop: loop)
            return NIOLoopBound((client, SharedRateLimiter(client: client)), eventLoop: loop)
        }.get()
    }

    func send(_ command: [any RESPArgument]) async throws -> RESPValue {
        try await self.loop.flatSubmit { self.parts.value.client.send(command) }.get()
    }

    /// Sends all `commands` in one pass of the event loop (one pipeline) and returns the replies.
    func pipeline(_ commands: [[any RESPArgument]]) async throws -> [RESPValue] {
        try await self.loop.flatSubmit {
            let futures = commands.map { self.parts.value.client.send($0) }
            return EventLoopFuture.whenAllSucceed(futures, on: self.loop)
        }.get()
    }

    /// Like ``pipeline(_:)``, with each command's outcome.
    func pipelineResults(_ commands: [[any RESPArgument]]) async throws -> [Result<RESPValue, any Error>] {
        try await self.loop.flatSubmit {
            let futures = commands.map { self.parts.value.client.send($0) }
            return EventLoopFuture.whenAllComplete(futures, on: self.loop)
        }.get()
    }

    func take(_ key: String, ratePerSecond: Double, burst: Int) async throws -> RateLimiter.Decision {
        try await self.loop.flatSubmit {
            self.parts.value.limiter.take(key: key, ratePerSecond: ratePerSecond, burst: burst)
        }.get()
    }

    var isConnected: Bool {
        get async throws { try await self.loop.submit { self.parts.value.client.isConnected }.get() }
    }

    var connectionAttempts: Int {
        get async throws { try await self.loop.submit { self.parts.value.client.connectionAttempts }.get() }
    }

    var scriptSHA: String? {
        get async throws { try await self.loop.submit { self.parts.value.limiter.scriptSHA }.get() }
    }

    func close() async throws {
        try await self.loop.flatSubmit { self.parts.value.client.close() }.get()
    }

    /// Runs `count` takes one after another on the loop (each sent when the previous one's
    /// decision is in) and returns each one's round trip in nanoseconds.
    func sequentialTakes(_ count: Int, key: String) async throws -> [Int64] {
        try await self.sequential(count) { _, limiter in
            limiter.take(key: key, ratePerSecond: 1e6, burst: 1_000_000).map { _ in }
        }
    }

    /// Like ``sequentialTakes(_:key:)``, with `PING`.
    func sequentialPings(_ count: Int) async throws -> [Int64] {
        try await self.sequential(count) { client, _ in client.send(["PING"]).map { _ in } }
    }

    private func sequential(
        _ count: Int,
        _ call: @escaping @Sendable (RedisClient, SharedRateLimiter) -> EventLoopFuture<Void>
    ) async throws -> [Int64] {
        try await self.loop.flatSubmit {
            let promise = self.loop.makePromise(of: [Int64].self)
            var times: [Int64] = []
            times.reserveCapacity(count)
            func step() {
                guard times.count < count else {
                    promise.succeed(times)
                    return
                }
                let start = NIODeadline.now()
                call(self.parts.value.client, self.parts.value.limiter)
                    .assumeIsolated()
                    .whenComplete { result in
                        switch result {
                        case .success:
                            times.append((NIODeadline.now() - start).nanoseconds)
                            step()
                        case .failure(let error):
                            promise.fail(error)
                        }
                    }
            }
            step()
            return promise.futureResult
        }.get()
    }

    /// Sends `count` takes in batches of `depth` (each batch in one pass of the loop, the next
    /// when it is answered) and returns the nanoseconds it took.
    func pipelinedTakes(_ count: Int, depth: Int, key: String) async throws -> Int64 {
        try await self.loop.flatSubmit {
            let start = NIODeadline.now()
            var future = self.loop.makeSucceededVoidFuture()
            for _ in 0..<(count / depth) {
                future = future.assumeIsolated().flatMap {
                    let batch = (0..<depth).map { _ in
                        self.parts.value.limiter.take(key: key, ratePerSecond: 1e6, burst: 1_000_000)
                    }
                    return EventLoopFuture.andAllSucceed(batch, on: self.loop)
                }.nonisolated()
            }
            return future.map { (NIODeadline.now() - start).nanoseconds }
        }.get()
    }
}
