import NIOPosix
import ProxyConfig
import ProxyCore
import Testing

@testable import ProxyServer

/// The DNS client against a real dnsmasq: A, AAAA, CNAME, SRV (with and without addresses in
/// the additional section), NXDOMAIN, an answer too large for UDP (asked again over TCP), and a
/// resolver that does not answer.
struct DNSResolverTests {
    static let srvArguments = [
        "--srv-host=_http._tcp.app.internal,s1.internal,8081,0,5",
        "--srv-host=_http._tcp.app.internal,s2.internal,8082,0,10",
        "--srv-host=_http._tcp.app.internal,backup.internal,8083,1,10",
        "--srv-host=_http._tcp.bare.internal,nowhere.internal,8084,0,1",
        "--cname=alias.internal,app.internal",
    ]

    @Test func resolvesEveryRecordTypeFromDnsmasq() async throws {
        let hosts = ["127.0.0.2 app.internal", "127.0.0.3 app.internal", "fd00::5 app.internal", "127.0.0.4 s1.internal", "127.0.0.5 s2.internal", "127.0.0.6 backup.internal"]
            + (10..<60).map { "127.0.1.\($0) big.internal" }
        try await DnsmasqServer.with(hosts: hosts, arguments: Self.srvArguments) { dns in
        let resolver = DNSResolver(
            configuration: ResolverConfiguration(servers: [.init(host: "127.0.0.1", port: dns.port)], timeout: .seconds(2), attempts: 1),
            group: MultiThreadedEventLoopGroup.singleton
        )

        let a = try await resolver.query("app.internal", type: .a).records(of: .a, for: "app.internal")
        #expect(Set(a.data) == [.a("127.0.0.2"), .a("127.0.0.3")])
        #expect(a.ttl == 1)
        let aaaa = try await resolver.query("app.internal", type: .aaaa).records(of: .aaaa, for: "app.internal")
        #expect(aaaa.data == [.aaaa("fd00::5")])
        let alias = try await resolver.query("alias.internal", type: .a).records(of: .a, for: "alias.internal")
        #expect(Set(alias.data) == [.a("127.0.0.2"), .a("127.0.0.3")])
        let missing = try await resolver.query("nope.internal", type: .a)
        #expect(missing.responseCode == DNSMessage.ResponseCode.nameError)
        #expect(missing.answers.isEmpty)

        // 50 addresses do not fit 512 bytes: dnsmasq sets TC, the client asks over TCP.
        let big = try await resolver.query("big.internal", type: .a)
        #expect(!big.truncated)
        #expect(big.records(of: .a, for: "big.internal").data.count == 50)

        // Targets: dns: on its port; srv: the lowest priority only, with each record's port and weight.
        let byName = try await resolver.targets(of: TargetDiscoveryConfiguration(record: .address(name: "app.internal", port: 8080), weight: 3))
        #expect(Set(byName.targets.map(\.id)) == ["127.0.0.2:8080", "127.0.0.3:8080", "[fd00::5]:8080"])
        #expect(byName.targets.allSatisfy { $0.weight == 3 })
        let service = try await resolver.targets(of: TargetDiscoveryConfiguration(record: .service(name: "_http._tcp.app.internal")))
        #expect(Set(service.targets) == [DiscoveredTarget(host: "127.0.0.4", port: 8081, weight: 5), DiscoveredTarget(host: "127.0.0.5", port: 8082, weight: 10)])
        #expect(service.ttl == 1)
        // An SRV target without an address: no targets, not a failure.
        let bare = try await resolver.targets(of: TargetDiscoveryConfiguration(record: .service(name: "_http._tcp.bare.internal")))
        #expect(bare.targets.isEmpty)
        }
    }

    @Test func answersBeyondMaxTargetsAreCutToTheSameSubsetAndSRVLookupsStop() async throws {
        let hosts = (10..<60).map { "127.0.1.\($0) big.internal" } + ["127.0.0.4 s1.internal", "127.0.0.5 s2.internal"]
        try await DnsmasqServer.with(hosts: hosts, arguments: Self.srvArguments) { dns in
            let resolver = DNSResolver(
                configuration: ResolverConfiguration(servers: [.init(host: "127.0.0.1", port: dns.port)], timeout: .seconds(2), attempts: 1),
                group: MultiThreadedEventLoopGroup.singleton
            )
            let all = try await resolver.targets(of: TargetDiscoveryConfiguration(record: .address(name: "big.internal", port: 80)))
            #expect(all.targets.count == 50)  // under the default cap
            #expect(all.cut == 0)
            let capped = TargetDiscoveryConfiguration(record: .address(name: "big.internal", port: 80), maxTargets: 20)
            let first = try await resolver.targets(of: capped)
            #expect(first.targets.count == 20)
            #expect(first.cut == 30)
            #expect(first.targets.map(\.id) == (10..<30).map { "127.0.1.\($0):80" })
            // dnsmasq rotates its records: the subset does not.
            let second = try await resolver.targets(of: capped)
            #expect(Set(second.targets) == Set(first.targets))
            // SRV: targets in name order, no lookup once enough addresses are in.
            let service = try await resolver.targets(of: TargetDiscoveryConfiguration(record: .service(name: "_http._tcp.app.internal"), maxTargets: 1))
            #expect(service.targets == [DiscoveredTarget(host: "127.0.0.4", port: 8081, weight: 5)])
            #expect(service.cut == 1)
        }
    }

    @Test func aResolverThatDoesNotAnswerTimesOutAndTheNextOneAnswers() async throws {
        try await DnsmasqServer.with(hosts: ["127.0.0.2 app.internal"]) { dns in
        let silent = try await stablePort()  // nothing listens there
        let onlySilent = DNSResolver(
            configuration: ResolverConfiguration(servers: [.init(host: "127.0.0.1", port: silent)], timeout: .milliseconds(300), attempts: 2),
            group: MultiThreadedEventLoopGroup.singleton
        )
        let started = ContinuousClock.now
        await #expect(throws: DNSResolverError.self) { try await onlySilent.query("app.internal", type: .a) }
        #expect(ContinuousClock.now - started < .seconds(3))
        let both = DNSResolver(
            configuration: ResolverConfiguration(
                servers: [.init(host: "127.0.0.1", port: silent), .init(host: "127.0.0.1", port: dns.port)],
                timeout: .milliseconds(300),
                attempts: 1
            ),
            group: MultiThreadedEventLoopGroup.singleton
        )
        #expect(try await both.query("app.internal", type: .a).records(of: .a, for: "app.internal").data == [.a("127.0.0.2")])
        }
    }
}
