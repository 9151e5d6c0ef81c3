import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// How an open connection takes a configuration reload (``ListenerReloadedEvent``).
struct ReloadEventTests {
    private func reloadedSettings(routes: [Route]) -> ListenerSettings {
        ListenerSettings(name: "test", scheme: "https", router: Router(routes: routes))
    }

    @Test func aResponseInFlightOnAnUnchangedRouteFinishesAndTheConnectionStaysOpen() throws {
        let harness = try ProxyHarness()
        try harness.send("GET /download HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try harness.upstreamReceived().hasPrefix("GET /download"))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234")

        let group = harness.monitor.group
        harness.client.pipeline.fireUserInboundEventTriggered(
            ListenerReloadedEvent(settings: self.reloadedSettings(routes: [Route(name: "default", targetGroup: group)]), unchangedRoutes: ["default"])
        )
        try harness.respond("56789")
        #expect(try harness.clientReceived().hasSuffix("0123456789"))
        #expect(harness.client.isActive)

        // The next request on the same connection works.
        try harness.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try harness.upstreamReceived().hasPrefix("GET /again"))
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(try harness.clientReceived().hasSuffix("ok"))
        #expect(harness.client.isActive)
    }

    @Test func aResponseInFlightOnAChangedRouteFinishesThenTheConnectionCloses() throws {
        let harness = try ProxyHarness()
        try harness.send("GET /download HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234")
        harness.client.pipeline.fireUserInboundEventTriggered(
            ListenerReloadedEvent(settings: self.reloadedSettings(routes: []), unchangedRoutes: [])
        )
        #expect(harness.client.isActive)  // not cut mid-response
        try harness.respond("56789")
        let received = try harness.clientReceived()
        #expect(received.hasSuffix("0123456789"))
        #expect(!harness.client.isActive)
    }

    @Test func anIdleConnectionFollowsTheNewRoutesForItsNextRequest() throws {
        let harness = try ProxyHarness()
        try harness.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        _ = try harness.clientReceived()

        let fixed = Route(name: "maintenance", action: .fixedResponse(status: .serviceUnavailable, body: "later\n", contentType: "text/plain"))
        harness.client.pipeline.fireUserInboundEventTriggered(
            ListenerReloadedEvent(settings: self.reloadedSettings(routes: [fixed]), unchangedRoutes: [])
        )
        #expect(harness.client.isActive)
        try harness.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        let received = try harness.clientReceived()
        #expect(received.hasPrefix("HTTP/1.1 503"))
        #expect(received.hasSuffix("later\n"))
        #expect(harness.connector.attempts == 1)  // not forwarded
    }

    /// The proxy remembers the target group of its last request; a group swapped in under the
    /// same name (a reload changing its targets) must be used by the next request all the same.
    @Test func anIdleConnectionUsesATargetGroupSwappedInUnderTheSameName() throws {
        let harness = try ProxyHarness()
        try harness.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        _ = try harness.clientReceived()
        #expect(harness.connector.attemptedTargets.map(\.id) == ["10.1.2.3:8080"])

        let group = harness.monitor.group
        let moved = TargetGroup(name: group.name, targets: [Target(host: "10.9.9.9", port: 8080)], upstream: group.upstream)
        let monitor = TargetGroupMonitor(group: moved, home: harness.loop, prober: nil, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        harness.proxyLoop.replaceTargetGroups([monitor.makeLoopState(on: harness.loop)])

        try harness.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(harness.connector.attemptedTargets.map(\.id) == ["10.1.2.3:8080", "10.9.9.9:8080"])
    }
}

/// The loop observer sees one record per request, with its route, target and status.
struct ObserverTests {
    final class Recorder: ProxyObserver {
        var records: [RequestRecord] = []
        var wantsRequestDetails = true
        func requestCompleted(_ record: consuming RequestRecord) { self.records.append(record) }
    }

    /// Without an access log, a record carries what the metrics count and nothing of the
    /// request's own.
    @Test func withoutDetailsARecordCarriesWhatTheMetricsCount() throws {
        let harness = try ProxyHarness()
        let recorder = Recorder()
        recorder.wantsRequestDetails = false
        harness.proxyLoop.observer = recorder
        try harness.send("POST /x?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t/1\r\nContent-Length: 3\r\n\r\nabc")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        _ = try harness.clientReceived()
        let record = try #require(recorder.records.first)
        #expect([record.route, record.targetGroup, record.target] == ["default", "web", "10.1.2.3:8080"])
        #expect(record.status == 201 && record.requestBytes == 3 && record.responseBytes == 2 && record.totalNanoseconds >= 0)
        #expect(record.uri == "/" && record.clientAddress == "-" && record.userAgent == nil)
    }

    @Test func everyRequestIsRecordedOnce() throws {
        let harness = try ProxyHarness()
        let recorder = Recorder()
        harness.proxyLoop.observer = recorder
        try harness.send("POST /x?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t/1\r\nContent-Length: 3\r\n\r\nabc")
        _ = try harness.upstreamReceived()
        try harness.respond("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        _ = try harness.clientReceived()
        try harness.send("GET / HTTP/1.1\r\n\r\n")  // no Host: 400
        _ = try harness.clientReceived()
        #expect(recorder.records.count == 2)
        let first = try #require(recorder.records.first)
        #expect(first.route == "default")
        #expect(first.targetGroup == "web")
        #expect(first.target == "10.1.2.3:8080")
        #expect(first.status == 201)
        #expect(first.requestBytes == 3)
        #expect(first.responseBytes == 2)
        #expect(first.userAgent == "t/1")
        #expect(first.uri == "/x?q=1")
        #expect(recorder.records[1].status == 400)
    }
}

extension ObserverTests {
    @Test func aSlowHeadIsRecordedAs408() throws {
        let harness = try ProxyHarness()
        let recorder = Recorder()
        harness.proxyLoop.observer = recorder
        try harness.send("GET / HTTP/1.1\r\nHost: a\r\n")  // never finished
        harness.loop.advanceTime(by: .seconds(11))
        #expect(try harness.clientReceived().hasPrefix("HTTP/1.1 408"))
        #expect(recorder.records.map(\.status) == [408])
        #expect(recorder.records.first?.error == "request head not received in time")
    }
}

struct AccessLogFormatterTests {
    private let record = RequestRecord(
        listener: "public",
        route: "site",
        targetGroup: "app",
        target: "127.0.0.1:8080",
        clientAddress: "203.0.113.7",
        method: .GET,
        uri: "/a\"b",
        host: "example.com",
        userAgent: "curl/8",
        status: 200,
        responseBytes: 1234,
        totalNanoseconds: 2_345_678,
        upstreamNanoseconds: 2_000_000,
        tlsVersion: "TLSv1.3"
    )
    // 2026-11-27T09:00:00.123Z
    private let time: Int64 = 1_795_770_000_123

    @Test func text() {
        let line = AccessLogFormatter(format: .text).line(for: self.record, unixMilliseconds: self.time)
        #expect(line == #"2026-11-27T09:00:00.123Z 203.0.113.7 "GET /a\"b HTTP/1.1" 200 1234 listener=public target=app/127.0.0.1:8080 upstream_ms=2.00 total_ms=2.35 tls=TLSv1.3"#)
    }

    @Test func aStaticRoutesLineNamesTheRoute() {
        var record = self.record
        record.targetGroup = nil
        record.target = "static"
        record.upstreamNanoseconds = nil
        let line = AccessLogFormatter(format: .text).line(for: record, unixMilliseconds: self.time)
        #expect(line.hasSuffix(#"200 1234 listener=public target=static route=site total_ms=2.35 tls=TLSv1.3"#), "\(line)")
    }

    @Test func combined() {
        let line = AccessLogFormatter(format: .combined).line(for: self.record, unixMilliseconds: self.time)
        #expect(line == #"203.0.113.7 - - [27/Nov/2026:09:00:00 +0000] "GET /a\"b HTTP/1.1" 200 1234 "-" "curl/8""#)
    }

    @Test func jsonIsOneEscapedObject() {
        let line = AccessLogFormatter(format: .json).line(for: self.record, unixMilliseconds: self.time)
        #expect(line.hasPrefix(#"{"time":"2026-11-27T09:00:00.123Z","client":"203.0.113.7","listener":"public","method":"GET","uri":"/a\"b""#))
        #expect(line.contains(#""status":200"#))
        #expect(line.contains(#""target":"127.0.0.1:8080""#))
        #expect(line.contains(#""upstream_ms":2.00"#))
        #expect(line.contains(#""referer":null"#))
        #expect(!line.contains("\n"))
    }

    @Test func controlCharactersCannotForgeLines() {
        var record = self.record
        record.uri = "/\n203.0.113.9 \"GET /admin"
        for format in [AccessLogFormatter.Format.text, .json, .combined] {
            let line = AccessLogFormatter(format: format).line(for: record, unixMilliseconds: self.time)
            #expect(!line.contains("\n"))
        }
    }

    @Test func timestamps() {
        #expect(Timestamp(unixMilliseconds: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(unixMilliseconds: 951_782_400_000).commonLog == "29/Feb/2000:00:00:00 +0000")
        #expect(Timestamp(unixMilliseconds: 1_795_770_000_123).rfc3339 == "2026-11-27T09:00:00.123Z")
    }
}
