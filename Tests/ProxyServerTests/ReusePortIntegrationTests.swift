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
    try listeningSocketInodes(port: port).count
}

/// The inodes of the sockets in the LISTEN state on `port`, from `/proc/net`.
func listeningSocketInodes(port: Int) throws -> [String] {
    let hexPort = String(format: ":%04X", port)
    var inodes: [String] = []
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        // Read to the end: a /proc file reports size 0 and comes in pages.
        guard let handle = FileHandle(forReadingAtPath: table), let data = try handle.readToEnd() else { continue }
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9 else { continue }
            if fields[1].hasSuffix(hexPort) && fields[3] == "0A" { inodes.append(String(fields[9])) }
        }
    }
    return inodes
}

/// Duplicates this process's descriptors of the sockets listening on `port`, as a child process
/// between its fork and its exec holds them: closing the server's own descriptors then leaves
/// the sockets listening until these are closed too.
func duplicateListeningSockets(port: Int) throws -> [Int32] {
    let inodes = Set(try listeningSocketInodes(port: port).map { "socket:[\($0)]" })
    var duplicates: [Int32] = []
    for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
        guard let fd = Int32(entry), let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)"),
            inodes.contains(target)
        else { continue }
        let duplicate = dup(fd)
        if duplicate >= 0 { duplicates.append(duplicate) }
    }
    return duplicates
}
