import Testing

@testable import ProxyCore

struct StaticPathTests {
    private func segments(_ path: String) -> [String]? {
        try? StaticPath.parse(path).get().segments
    }

    private func refusal(_ path: String) -> StaticPath.Refusal? {
        if case .failure(let refusal) = StaticPath.parse(path) { return refusal }
        return nil
    }

    @Test func plainPathsSplitIntoDecodedSegments() throws {
        #expect(self.segments("/") == [])
        #expect(self.segments("/a/b.css") == ["a", "b.css"])
        #expect(self.segments("//a///b") == ["a", "b"])
        #expect(self.segments("/caf%C3%A9/hello%20world.txt") == ["café", "hello world.txt"])
        #expect(try StaticPath.parse("/docs/").get().trailingSlash)
        #expect(try !StaticPath.parse("/docs").get().trailingSlash)
    }

    @Test func dotSegmentsResolveButNeverClimbAboveTheRoot() {
        #expect(self.segments("/a/./b/../c") == ["a", "c"])
        #expect(self.segments("/a/%2e%2e/c") == ["c"])  // decoded once, then resolved
        #expect(self.refusal("/..") == .traversal)
        #expect(self.refusal("/../etc/passwd") == .traversal)
        #expect(self.refusal("/a/../../etc/passwd") == .traversal)
        #expect(self.refusal("/%2e%2e/etc/passwd") == .traversal)
        #expect(self.refusal("/%2E%2E/%2E%2E/etc/passwd") == .traversal)
        #expect(self.refusal("/.%2e/x") == .traversal)
    }

    @Test func encodedSlashesNulAndBadEscapesAreRefused() {
        #expect(self.refusal("/a%2f..%2f..%2fetc%2fpasswd") == .encodedSlash)
        #expect(self.refusal("/..%5c..%5cwindows") == .encodedSlash)
        #expect(self.refusal("/a\\b") == .encodedSlash)
        #expect(self.refusal("/index.html%00.png") == .nul)
        #expect(self.refusal("/a%zz") == .badPercentEncoding)
        #expect(self.refusal("/a%2") == .badPercentEncoding)
        #expect(self.refusal("/%C0%AE%C0%AE/x") == .notUTF8)  // overlong '.'
        #expect(self.refusal("relative") == .notAbsolute)
    }

    @Test func doubleEncodingIsDecodedOnlyOnce() {
        // `%252e%252e` is the literal name `%2e%2e`, not `..`.
        #expect(self.segments("/%252e%252e/secret") == ["%2e%2e", "secret"])
        #expect(self.segments("/a%252fb") == ["a%2fb"])
    }

    @Test func dotfilesAreHiddenExceptWellKnown() {
        #expect(StaticPath.hidesDotfile([".env"]))
        #expect(StaticPath.hidesDotfile(["a", ".git", "config"]))
        #expect(!StaticPath.hidesDotfile(["a", "b.txt"]))
        #expect(!StaticPath.hidesDotfile([".well-known", "acme-challenge", "token"]))
        #expect(StaticPath.hidesDotfile([".well-known", ".hidden"]))
        #expect(StaticPath.hidesDotfile(["a", ".well-known"]))
    }

    @Test func tryFilesCandidatesReplaceUri() throws {
        let path = try StaticPath.parse("/app/page").get()
        #expect(path.candidate("$uri")?.segments == ["app", "page"])
        #expect(path.candidate("$uri.html")?.segments == ["app", "page.html"])
        #expect(path.candidate("$uri/")?.directory == true)
        #expect(path.candidate("/index.html")?.segments == ["index.html"])
        let root = try StaticPath.parse("/").get()
        #expect(root.candidate("$uri..") == nil)
    }
}
