import Testing

@testable import ProxyConfig

@Suite struct DurationSyntaxTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)),
        ("10s", .seconds(10)),
        ("5m", .seconds(300)),
        ("1h", .seconds(3600)),
        ("1h30m", .seconds(5400)),
        ("2m30s500ms", .milliseconds(150_500)),
        ("30", .seconds(30)),
        ("0", .zero),
        (" 10s ", .seconds(10)),
    ])
    func parses(text: String, expected: Duration) {
        #expect(DurationSyntax.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "1.5s", "-1s", "10x", "1d", "10 s", "h1", "1000000000s", "1:30"])
    func rejects(text: String) {
        #expect(DurationSyntax.parse(text) == nil)
    }

    @Test func formatsShortest() {
        #expect(DurationSyntax.format(.seconds(5400)) == "1h30m")
        #expect(DurationSyntax.format(.milliseconds(250)) == "250ms")
        #expect(DurationSyntax.format(.seconds(30)) == "30s")
        #expect(DurationSyntax.format(.zero) == "0s")
    }
}

@Suite struct ByteSizeSyntaxTests {
    @Test(arguments: [
        ("512", 512),
        ("512B", 512),
        ("16KiB", 16_384),
        ("1MiB", 1_048_576),
        ("2GiB", 2_147_483_648),
        ("10KB", 10_000),
        ("3MB", 3_000_000),
        ("16 KiB", 16_384),
        ("1kib", 1024),
        ("0", 0),
    ])
    func parses(text: String, expected: Int) {
        #expect(ByteSizeSyntax.parse(text) == expected)
    }

    @Test(arguments: ["", "KiB", "1.5MiB", "-1", "10XB", "16K", "99999999999TiB"])
    func rejects(text: String) {
        #expect(ByteSizeSyntax.parse(text) == nil)
    }

    @Test func formatsWithBinaryUnits() {
        #expect(ByteSizeSyntax.format(16_384) == "16KiB")
        #expect(ByteSizeSyntax.format(1 << 30) == "1GiB")
        #expect(ByteSizeSyntax.format(1500) == "1500")
    }
}

@Suite struct AddressSyntaxTests {
    @Test(arguments: [
        ("0.0.0.0:443", "0.0.0.0", 443),
        ("127.0.0.1:8080", "127.0.0.1", 8080),
        ("[::1]:8443", "::1", 8443),
        ("[::]:80", "::", 80),
        ("[2001:DB8:0:0:0:0:0:1]:443", "2001:db8::1", 443),
        ("*:443", "0.0.0.0", 443),
        (":443", "0.0.0.0", 443),
        ("LocalHost:9000", "localhost", 9000),
    ])
    func parsesBinds(text: String, host: String, port: Int) throws {
        let address = try AddressSyntax.parse(text, allowsWildcard: true).get()
        #expect(address == BindAddress(host: host, port: port))
    }

    @Test(arguments: [
        ("0.0.0.0", "missing port in \"0.0.0.0\" (expected host:port, such as 0.0.0.0:443 or [::]:443)"),
        ("0.0.0.0:70000", "port must be a number in 0...65535 (got \"70000\")"),
        ("0.0.0.0:https", "port must be a number in 0...65535 (got \"https\")"),
        ("::1:443", "IPv6 addresses need brackets, as in [::1]:443"),
        ("[::1:443", "missing \"]\" after the IPv6 address in \"[::1:443\""),
        ("[10.0.0.1]:443", "\"10.0.0.1\" is not an IPv6 address"),
        ("300.1.1.1:80", "\"300.1.1.1\" is not a valid IPv4 address"),
        ("exa mple.com:80", "\"exa mple.com\" is not a valid IP address or host name"),
    ])
    func rejectsBadBinds(text: String, message: String) {
        #expect(throws: SyntaxProblem.self) { try AddressSyntax.parse(text, allowsWildcard: true).get() }
        if case .failure(let problem) = AddressSyntax.parse(text, allowsWildcard: true) {
            #expect(problem.message == message)
        }
    }

    @Test func targetsNeedAHost() {
        guard case .failure(let problem) = AddressSyntax.parse(":8080", allowsWildcard: false) else {
            Issue.record("expected a failure")
            return
        }
        #expect(
            problem.message == "missing host in \":8080\" (expected host:port, such as 127.0.0.1:8080 or [::1]:8080)"
        )
    }
}

@Suite struct SuggestionTests {
    @Test func suggestsCloseSpellings() {
        #expect(Suggestion.closest(to: "tls_cert", in: ["name", "bind", "protocol", "tls", "routes"]) == "tls")
        #expect(Suggestion.closest(to: "protocl", in: ["name", "bind", "protocol", "tls"]) == "protocol")
        #expect(Suggestion.closest(to: "internal-admn", in: ["web", "internal-admin"]) == "internal-admin")
        #expect(Suggestion.closest(to: "xyzzy", in: ["name", "bind", "protocol"]) == nil)
    }

    @Test func measuresEditDistance() {
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
        #expect(Suggestion.editDistance("", "abc") == 3)
        #expect(Suggestion.editDistance("same", "same") == 0)
    }
}

@Suite struct PercentSyntaxTests {
    @Test(arguments: [("20", 20.0), ("20%", 20), (" 20 % ", 20), ("0", 0), ("100", 100), ("12.5%", 12.5), ("150", 150)])
    func parses(text: String, expected: Double) {
        #expect(PercentSyntax.parse(text, wholeOnly: false) == expected)
    }

    @Test(arguments: ["", "%", "-5", "1e2", "nan", "inf", ".5", "5.", "20%%", "twenty", "0x10", "1234567890"])
    func rejects(text: String) {
        #expect(PercentSyntax.parse(text, wholeOnly: false) == nil)
    }

    @Test func wholeOnlyRejectsFractions() {
        #expect(PercentSyntax.parse("50%", wholeOnly: true) == 50)
        #expect(PercentSyntax.parse("12.5", wholeOnly: true) == nil)
    }
}

@Suite struct HTTPSyntaxTests {
    @Test(arguments: ["portcullis_sticky", "SESSION", "a-b.c", "x!#$%&'*+^`|~"])
    func acceptsCookieNames(name: String) {
        #expect(HTTPSyntax.isValidCookieName(name))
    }

    @Test(arguments: ["", "a b", "a=b", "a;b", "a,b", "\"a\"", "a(b)", "é", "a/b", "a@b"])
    func rejectsCookieNames(name: String) {
        #expect(!HTTPSyntax.isValidCookieName(name))
    }
}
