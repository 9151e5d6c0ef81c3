import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// What `portcullis dev` shows: its terminal log line and its error page.
struct DevelopmentOutputTests {
    private func record(status: UInt, uri: String = "/api/users?page=2", error: String? = nil) -> RequestRecord {
        var record = RequestRecord(
            listener: "dev",
            route: "app",
            targetGroup: "app",
            target: "t1",
            clientAddress: "127.0.0.1",
            method: .POST,
            uri: uri,
            host: "localhost",
            userAgent: "curl/8",
            status: status,
            responseBytes: 10,
            totalNanoseconds: 3_120_000,
            upstreamNanoseconds: nil,
            tlsVersion: "TLSv1.3"
        )
        record.error = error
        return record
    }

    @Test func devLinesAreShortAndColouredOnlyWhenAsked() {
        let plain = AccessLogFormatter(format: .dev).line(for: self.record(status: 201), unixMilliseconds: 0)
        #expect(plain == "POST /api/users?page=2 201 3.12ms")
        let coloured = AccessLogFormatter(format: .dev, colour: true)
        #expect(
            coloured.line(for: self.record(status: 201), unixMilliseconds: 0)
                == "\u{1B}[1mPOST\u{1B}[0m /api/users?page=2 \u{1B}[32m201\u{1B}[0m \u{1B}[2m3.12ms\u{1B}[0m"
        )
        #expect(coloured.line(for: self.record(status: 302), unixMilliseconds: 0).contains("\u{1B}[36m302"))
        #expect(coloured.line(for: self.record(status: 404), unixMilliseconds: 0).contains("\u{1B}[33m404"))
        let failed = coloured.line(for: self.record(status: 502, error: "connectFailed: target 127.0.0.1:3000: Connection refused (errno: 111)"), unixMilliseconds: 0)
        #expect(failed.contains("\u{1B}[31m502") && failed.contains("(connectFailed: target 127.0.0.1:3000)"))
    }

    @Test func aRequestCannotWriteEscapeSequencesToTheTerminal() {
        let line = AccessLogFormatter(format: .dev).line(for: self.record(status: 400, uri: "/\u{1B}[2J"), unixMilliseconds: 0)
        #expect(!line.contains("\u{1B}"))
        #expect(line.hasPrefix("POST /\\u001b[2J 400"), "\(line)")
    }

    @Test func theErrorPageNamesThePortThatDoesNotAnswer() throws {
        let allocator = ByteBufferAllocator()
        let page = try #require(DevelopmentErrorPage.page(for: .connectFailed, target: ("127.0.0.1", 3000), allocator: allocator))
        #expect(page.contentType == "text/html; charset=utf-8")
        let html = String(buffer: page.body)
        #expect(html.contains("<h1>502 Bad Gateway</h1>"))
        #expect(html.contains("Nothing is answering on port 3000"))
        #expect(html.contains("<code>127.0.0.1:3000</code>"))
        #expect(html.contains("http-equiv=\"refresh\""))

        let timedOut = try #require(DevelopmentErrorPage.page(for: .responseTimedOut, target: ("::1", 4000), allocator: allocator))
        #expect(String(buffer: timedOut.body).contains("<code>[::1]:4000</code>"))
        #expect(String(buffer: timedOut.body).contains("<h1>504 Gateway Timeout</h1>"))
        // Without a target (no route, no target in the group) the plain answer stays.
        #expect(DevelopmentErrorPage.page(for: .connectFailed, target: nil, allocator: allocator) == nil)
        #expect(DevelopmentErrorPage.page(for: .noTarget, target: ("127.0.0.1", 3000), allocator: allocator) == nil)
    }
}
