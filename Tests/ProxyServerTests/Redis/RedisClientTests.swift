import Foundation
import NIOCore
import Testing

@testable import ProxyServer

/// ``RedisClient`` against a real `redis-server` of each test's own.
struct RedisClientTests {
    @Test func pingSetGetRoundTrip() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port)
        #expect(try await redis.send(["PING"]) == .simpleString("PONG"))
        #expect(try await redis.send(["SET", "greeting", "hello"]) == .simpleString("OK"))
        #expect(try await redis.send(["GET", "greeting"]) == .bulkString(ByteBuffer(string: "hello")))
        #expect(try await redis.send(["GET", "missing"]) == .bulkString(nil))
        let binary = ByteBuffer(bytes: [0, 13, 10, 255, 36, 42])
        #expect(try await redis.send(["SET", "binary", binary]) == .simpleString("OK"))
        #expect(try await redis.send(["GET", "binary"]) == .bulkString(binary))
        #expect(try await redis.send(["INCRBY", "counter", 41]) == .integer(41))
        #expect(try await redis.send(["RPUSH", "list", "a", "b"]) == .integer(2))
        #expect(
            try await redis.send(["LRANGE", "list", 0, -1])
                == .array([.bulkString(ByteBuffer(string: "a")), .bulkString(ByteBuffer(string: "b"))])
        )
        // An error reply is an answer, not a failure, and the connection stays usable.
        let error = try await redis.send(["NOSUCHCOMMAND"])
        #expect(error.errorMessage?.hasPrefix("ERR unknown command") == true)
        #expect(try await redis.send(["PING"]) == .simpleString("PONG"))
        #expect(try await redis.connectionAttempts == 1)
        try await redis.close()
        await #expect(throws: RedisClientError.shutDown) { try await redis.send(["PING"]) }
        await server.stop()
    }

    /// 100 commands in one pass of the loop (sent before the connection is even up): one
    /// connection, replies in order.
    @Test func pipelinesHundredCommandsInOrder() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port)
        var commands: [[any RESPArgument]] = []
        for index in 1...50 {
            commands.append(["INCR", "counter"])
            commands.append(["ECHO", "reply \(index)"])
        }
        let replies = try await redis.pipeline(commands)
        var expected: [RESPValue] = []
        for index in 1...50 {
            expected.append(.integer(Int64(index)))
            expected.append(.bulkString(ByteBuffer(string: "reply \(index)")))
        }
        #expect(replies == expected)
        #expect(try await redis.connectionAttempts == 1)
        try await redis.close()
        await server.stop()
    }

    /// Nothing listens: the commands waiting for the first connection fail with the reason, and
    /// then every command fails at once, without a new attempt, until the backoff has passed.
    /// (No wall-clock bound: a long backoff shows "at once" by the attempt count.)
    @Test func refusedConnectionFailsFastWithBackoff() async throws {
        let port = try await stablePort()  // free, and nothing listens on it
        let patient = try await RedisTestClient(port: port, initialBackoff: .seconds(60))
        await #expect {
            try await patient.send(["PING"])
        } throws: { error in
            // Refused; or, on a busy machine, torn down as it was being made.
            switch error as? RedisClientError {
            case .connectFailed?, .connectionClosed?: true
            default: false
            }
        }
        for _ in 0..<20 {
            await #expect(throws: RedisClientError.unavailable) { try await patient.send(["PING"]) }
        }
        #expect(try await patient.connectionAttempts == 1)  // still backing off: nobody waited
        try await patient.close()

        // A short backoff: once it has passed, a command starts one new attempt (and still fails).
        let eager = try await RedisTestClient(port: port, initialBackoff: .milliseconds(100))
        _ = try? await eager.send(["PING"])
        #expect(try await eventually {
            _ = try? await eager.send(["PING"])
            return try await eager.connectionAttempts >= 2
        })
        try await eager.close()
    }

    /// `CLIENT PAUSE` keeps Redis from answering: the oldest command fails after the command
    /// timeout (not after the pause), the ones behind it with it, the connection is dropped,
    /// and the client answers again once Redis does.
    @Test func commandTimeoutFailsWithoutHanging() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port, commandTimeout: .milliseconds(200))
        #expect(try await redis.send(["PING"]) == .simpleString("PONG"))
        try await server.cli("CLIENT", "PAUSE", "3000")
        let start = ContinuousClock.now
        let results = try await redis.pipelineResults([["PING"], ["PING"]])
        let elapsed = ContinuousClock.now - start
        // The timeout (200 ms), not the pause (3 s), ended the wait.
        #expect(elapsed >= .milliseconds(150) && elapsed < .milliseconds(2_500), "\(elapsed)")
        #expect(throws: RedisClientError.timedOut) { try results[0].get() }
        #expect(throws: RedisClientError.connectionClosed) { try results[1].get() }
        // Dropped: fails at once now, and reconnects (after the backoff) once the pause is over.
        await #expect(throws: RedisClientError.unavailable) { try await redis.send(["PING"]) }
        #expect(try await eventually { (try? await redis.send(["PING"])) == .simpleString("PONG") })
        try await redis.close()
        await server.stop()
    }
}

/// Polls `condition` every 20 ms until it holds (true) or `timeout` has passed (false).
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
