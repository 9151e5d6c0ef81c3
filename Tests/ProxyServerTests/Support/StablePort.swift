import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A free loopback port for a test that must bind the same port again (a reload that re-binds
/// a listener), chosen below the kernel's ephemeral range.
///
/// A port found by binding port 0 comes from the ephemeral range: while the listener is
/// re-bound, any client socket of a test running alongside may be given that port as its own
/// local port, and the bind fails with `EADDRINUSE`. Below the range the kernel never hands a
/// port out by itself; the port is found free by binding it once and letting it go.
///
/// A port is handed out once per test process: tests run side by side, and two of them (a
/// reload re-binding its listener, a `redis-server` another test starts) must never be given
/// the same port while one of them has let it go for a moment.
func stablePort() async throws -> Int {
    let low = ephemeralRangeStart()
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<200 {
        let port = Int.random(in: 20_000..<max(20_001, low), using: &generator)
        guard handedOutPorts.withLockedValue({ $0.insert(port).inserted }) else { continue }
        guard let probe = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: port).get()
        else { continue }
        try await probe.close()
        return port
    }
    throw ChannelError.inappropriateOperationForState
}

private let handedOutPorts = NIOLockedValueBox(Set<Int>())

/// The first port of `/proc/sys/net/ipv4/ip_local_port_range` (Linux's default, 32768, if unreadable).
private func ephemeralRangeStart() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
        let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first,
        let low = Int(first)
    else { return 32_768 }
    return low
}
