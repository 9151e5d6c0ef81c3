import NIOHTTP1
import Testing

@testable import ProxyCore

/// Which responses a route compresses, and what their heads become.
struct CompressionPolicyTests {
    private let policy = CompressionPolicy()

    private func fields(_ pairs: [(String, String)]) -> HTTPHeaders { HTTPHeaders(pairs) }

    @Test func theRequestDecidesFirst() {
        #expect(self.policy.coding(method: .GET, version: .http1_1, acceptEncoding: ["gzip"]) == .gzip)
        #expect(self.policy.coding(method: .POST, version: .init(major: 2, minor: 0), acceptEncoding: ["br"]) == .br)
        #expect(self.policy.coding(method: .HEAD, version: .http1_1, acceptEncoding: ["gzip"]) == nil)
        #expect(self.policy.coding(method: .GET, version: .http1_0, acceptEncoding: ["gzip"]) == nil)
        #expect(self.policy.coding(method: .GET, version: .http1_1, acceptEncoding: []) == nil)
    }

    @Test func compressesListedTypesWithABody() {
        let json = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", "5000")]
        #expect(self.policy.compresses(status: .ok, fields: self.fields(json)))
        #expect(self.policy.compresses(status: .notFound, fields: self.fields([("Content-Type", "TEXT/HTML")])))
        #expect(self.policy.compresses(status: .ok, fields: self.fields([("content-type", "image/svg+xml")])))
        #expect(self.policy.compresses(status: .ok, fields: self.fields([("Content-Type", "text/css"), ("Cache-Control", "public, max-age=60")])))
    }

    @Test func leavesTheRestAlone() {
        let type = ("Content-Type", "text/html")
        #expect(!self.policy.compresses(status: .partialContent, fields: self.fields([type, ("Content-Range", "bytes 0-9/100")])))
        #expect(!self.policy.compresses(status: .noContent, fields: self.fields([type])))
        #expect(!self.policy.compresses(status: .notModified, fields: self.fields([type])))
        #expect(!self.policy.compresses(status: .ok, fields: self.fields([type, ("Content-Encoding", "gzip")])))
        #expect(!self.policy.compresses(status: .ok, fields: self.fields([type, ("Content-Encoding", "identity")])))
        #expect(!self.policy.compresses(status: .ok, fields: self.fields([type, ("Cache-Control", "max-age=60, No-Transform")])))
        #expect(!self.policy.compresses(status: .ok, fields: self.fields([type, ("Cache-Control", "public"), ("cache-control", "no-transform")])))
        #expect(!self.policy.compresses(status: .ok, fields: self.fields([type, ("Content-Length", "1023")])))
        #expect(self.policy.compresses(status: .ok, fields: self.fields([type, ("Content-Length", "1024")])))
        #expect(!self.policy.compresses(status: .ok, fields: self.fields([("Content-Type", "image/png")])))
        #expect(!self.policy.compresses(status: .ok, fields: self.fields([("Content-Type", "application/octet-stream")])))
        #expect(!self.policy.compresses(status: .ok, fields: self.fields([])))
    }

    @Test func typePatterns() {
        let policy = CompressionPolicy(types: ["text/*", "application/json"])
        #expect(policy.listsType("text/plain"))
        #expect(policy.listsType("Text/CSV;charset=x"))
        #expect(policy.listsType(" application/json "))
        #expect(!policy.listsType("application/json-seq"))
        #expect(!policy.listsType("textual/plain"))
        #expect(!policy.listsType("tex/plain"))
        #expect(!policy.listsType("text"))
    }

    @Test func theCompressedHead() {
        var fields = self.fields([
            ("Content-Type", "text/html"), ("Content-Length", "5000"), ("ETag", "\"v1\""), ("Accept-Ranges", "bytes"),
            ("Vary", "Origin"), ("vary", "Cookie"),
        ])
        CompressionPolicy.compressedFields(&fields, coding: .br)
        #expect(!fields.contains(name: "content-length"))
        #expect(!fields.contains(name: "accept-ranges"))
        #expect(fields["ETag"] == ["W/\"v1\""])
        #expect(fields["Vary"] == ["Origin, Cookie, Accept-Encoding"])
        #expect(fields["Content-Encoding"] == ["br"])
        #expect(fields["Content-Type"] == ["text/html"])
    }

    @Test func varyAndETagAlreadyRight() {
        var fields = self.fields([("ETag", "W/\"v1\""), ("Vary", "accept-encoding, Origin")])
        CompressionPolicy.compressedFields(&fields, coding: .gzip)
        #expect(fields["ETag"] == ["W/\"v1\""])
        #expect(fields["Vary"] == ["accept-encoding, Origin"])
        var star = self.fields([("Vary", "*")])
        CompressionPolicy.compressedFields(&star, coding: .zstd)
        #expect(star["Vary"] == ["*"])
        var none = self.fields([])
        CompressionPolicy.compressedFields(&none, coding: .zstd)
        #expect(none["Vary"] == ["Accept-Encoding"] && none["Content-Encoding"] == ["zstd"] && !none.contains(name: "etag"))
    }
}
