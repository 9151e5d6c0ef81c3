import Foundation
import Testing

/// `reuse_port`: one listening socket per event loop, all on the port the first one got.
@Suite(.serialized)
struct ReusePortIntegrationTests {
    @Test func oneSocketPerEventLoopServesAndAllCloseOnShutdown() async throws {
        let fixture = try await ProxyFixture.start(extraListenerYAML: "    reuse_port: true")
        let sockets = try listeningSockets(port: fixture.port)
        #expect(sockets == 2, "\(sockets) listening sockets on \(fixture.port)")  // event_loops: 2
        // A new connection per request, so the kernel spreads them over both sockets.
        let requests = (0..<30).flatMap { _ in ["-o", "/dev/null", "\(fixture.url)/"] }
        let result = try await fixture.curl(["--http1.1", "-H", "Connection: close", "-w", "%{http_code} %{num_connects}\\n"] + requests)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n") == Array(repeating: "200 1", count: 30))  // each on a new connection
        await fixture.stop()
        #expect(try listeningSockets(port: fixture.port) == 0)
    }

    @Test func withoutItOneSocketServesEveryEventLoop() async throws {
        let fixture = try await ProxyFixture.start()
        #expect(try listeningSockets(port: fixture.port) == 1)
        let result = try await fixture.curl(["-o", "/dev/null", "-w", "%{http_code}", "\(fixture.url)/"])
        #expect(result.stdout == "200", "\(result.stderr)")
        await fixture.stop()
    }
}

/// Sockets in the LISTEN state on `port` (IPv4 and IPv6), from `/proc/net`: what the kernel
/// holds, independently of what the server says it bound.
func listeningSockets(port: Int) throws -> Int {
    let hexPort = String(format: ":%04X", port)
    var count = 0
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        // Read to the end: a /proc file reports size 0 and comes in pages.
        guard let handle = FileHandle(forReadingAtPath: table), let data = try handle.readToEnd() else { continue }
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3 else { continue }
            if fields[1].hasSuffix(hexPort) && fields[3] == "0A" { count += 1 }
        }
    }
    return count
}
