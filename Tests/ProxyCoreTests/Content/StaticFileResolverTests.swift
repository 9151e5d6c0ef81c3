import Foundation
import NIOCore
import Testing

@testable import ProxyCore

/// The resolver against a real directory tree: what it serves, and every way out of the root
/// it refuses.
struct StaticFileResolverTests {
    /// A tree:
    /// ```
    /// base/outside.txt                 (not under the root)
    /// base/site/index.html
    /// base/site/about.html
    /// base/site/docs/index.html
    /// base/site/empty/                 (no index)
    /// base/site/app.js, app.js.br, app.js.gz
    /// base/site/.env, .git/config, .well-known/security.txt
    /// base/site/%2e%2e                 (a file literally named so)
    /// base/site/link-out -> base/outside.txt
    /// base/site/dir-out -> base
    /// base/site/link-in -> about.html
    /// base/site/sneaky.js.br -> base/outside.txt   (a sibling that leads out)
    /// ```
    final class Tree {
        let base: String
        var root: String { self.base + "/site" }

        init() throws {
            self.base = FileManager.default.temporaryDirectory.path + "/portcullis-static-" + UUID().uuidString
            let fm = FileManager.default
            for directory in ["site/docs", "site/empty", "site/.git", "site/.well-known"] {
                try fm.createDirectory(atPath: self.base + "/" + directory, withIntermediateDirectories: true)
            }
            let files = [
                "outside.txt": "outside", "site/index.html": "home", "site/about.html": "about",
                "site/docs/index.html": "docs", "site/app.js": "plain js", "site/app.js.br": "br js",
                "site/app.js.gz": "gz js", "site/.env": "SECRET=1", "site/.git/config": "[core]",
                "site/.well-known/security.txt": "Contact: x", "site/%2e%2e": "literal", "site/sneaky.js": "sneaky",
            ]
            for (name, contents) in files {
                try contents.write(toFile: self.base + "/" + name, atomically: false, encoding: .utf8)
            }
            try fm.createSymbolicLink(atPath: self.root + "/link-out", withDestinationPath: self.base + "/outside.txt")
            try fm.createSymbolicLink(atPath: self.root + "/dir-out", withDestinationPath: self.base)
            try fm.createSymbolicLink(atPath: self.root + "/link-in", withDestinationPath: "about.html")
            try fm.createSymbolicLink(atPath: self.root + "/sneaky.js.br", withDestinationPath: self.base + "/outside.txt")
        }

        deinit {
            try? FileManager.default.removeItem(atPath: self.base)
        }
    }

    /// What `path` resolves to: the file's contents (and coding), `listing`, `404`, `301` (a
    /// directory without its slash) or the refusal.
    private func serve(_ site: StaticSite, _ path: String, acceptEncoding: String? = nil) -> String {
        switch StaticFileResolver(site: site).resolve(path: path, acceptEncoding: acceptEncoding) {
        case .file(let file):
            defer { close(file.descriptor) }
            var bytes = [UInt8](repeating: 0, count: Int(file.validators.size))
            let count = read(file.descriptor, &bytes, bytes.count)
            let text = String(decoding: bytes[..<max(0, count)], as: UTF8.self)
            return file.coding.map { "\(text) (\($0))" } ?? text
        case .listing(let html): return "listing:" + html
        case .notFound: return "404"
        case .badRequest(let refusal): return "400 \(refusal.rawValue)"
        case .directoryRedirect: return "301"
        }
    }

    @Test func servesFilesAndIndexes() throws {
        let tree = try Tree()
        let site = StaticSite(root: tree.root)
        #expect(self.serve(site, "/about.html") == "about")
        #expect(self.serve(site, "/") == "home")
        #expect(self.serve(site, "/docs") == "301")  // to `/docs/`, as nginx answers
        #expect(self.serve(site, "/docs/") == "docs")
        #expect(self.serve(site, "/empty") == "404")  // a directory that serves nothing: no redirect
        #expect(self.serve(site, "/empty/") == "404")
        #expect(self.serve(site, "/missing") == "404")
        #expect(self.serve(site, "/link-in") == "about")  // a link that stays inside is fine
        #expect(self.serve(site, "/%2e%2e") == "400 path_traversal")
    }

    @Test func traversalNeverLeavesTheRoot() throws {
        let tree = try Tree()
        let site = StaticSite(root: tree.root)
        #expect(self.serve(site, "/../outside.txt") == "400 path_traversal")
        #expect(self.serve(site, "/docs/../../outside.txt") == "400 path_traversal")
        #expect(self.serve(site, "/%2e%2e/outside.txt") == "400 path_traversal")
        #expect(self.serve(site, "/%2E%2E%2Foutside.txt") == "400 encoded_slash")
        #expect(self.serve(site, "/..%2foutside.txt") == "400 encoded_slash")
        #expect(self.serve(site, "/about.html%00.png") == "400 encoded_nul")
        // Double encoding is decoded once: the name `%2e%2e` (a real file here), never `..`.
        #expect(self.serve(site, "/%252e%252e") == "literal")
        #expect(self.serve(site, "/%252e%252e/outside.txt") == "404")
    }

    /// What the check after `open` relies on: the descriptor names the file really opened, so a
    /// path that led elsewhere by the time it was opened (a directory swapped for a link) shows.
    @Test func anOpenDescriptorNamesTheFileReallyOpened() throws {
        let tree = try Tree()
        let viaLink = open(tree.root + "/link-out", O_RDONLY | O_CLOEXEC)
        #expect(viaLink >= 0)
        defer { close(viaLink) }
        let real = try #require(StaticFileResolver.realPath(tree.base + "/outside.txt"))
        #expect(StaticFileResolver.descriptorPath(viaLink) == real)
        #expect(StaticFileResolver.descriptorPath(viaLink) != StaticFileResolver.realPath(tree.root) .map { $0 + "/link-out" })
    }

    @Test func symlinksOutOfTheRootAreRefusedUnlessFollowed() throws {
        let tree = try Tree()
        let site = StaticSite(root: tree.root)
        #expect(self.serve(site, "/link-out") == "404")
        #expect(self.serve(site, "/dir-out/outside.txt") == "404")
        // A precompressed sibling that leads out is skipped: the file itself is served.
        #expect(self.serve(site, "/sneaky.js", acceptEncoding: "br") == "sneaky")
        let following = StaticSite(root: tree.root, followSymlinks: true)
        #expect(self.serve(following, "/link-out") == "outside")
        #expect(self.serve(following, "/dir-out/outside.txt") == "outside")
    }

    @Test func dotfilesAreHiddenUnlessAllowed() throws {
        let tree = try Tree()
        let site = StaticSite(root: tree.root)
        #expect(self.serve(site, "/.env") == "404")
        #expect(self.serve(site, "/.git/config") == "404")
        #expect(self.serve(site, "/%2eenv") == "404")
        #expect(self.serve(site, "/.well-known/security.txt") == "Contact: x")
        let open = StaticSite(root: tree.root, dotfiles: true)
        #expect(self.serve(open, "/.env") == "SECRET=1")
    }

    @Test func tryFilesFallsBackInOrder() throws {
        let tree = try Tree()
        let spa = StaticSite(root: tree.root, tryFiles: ["$uri", "$uri.html", "/index.html"])
        #expect(self.serve(spa, "/about") == "about")
        #expect(self.serve(spa, "/app/route/deep") == "home")
        #expect(self.serve(spa, "/empty/") == "home")
        // The fallback is no way around the dotfile and symlink rules.
        #expect(self.serve(spa, "/.env") == "404")
        #expect(self.serve(spa, "/link-out") == "home")
    }

    @Test func precompressedSiblingsFollowAcceptEncoding() throws {
        let tree = try Tree()
        let site = StaticSite(root: tree.root)
        #expect(self.serve(site, "/app.js") == "plain js")
        #expect(self.serve(site, "/app.js", acceptEncoding: "gzip, br") == "br js (br)")
        #expect(self.serve(site, "/app.js", acceptEncoding: "gzip") == "gz js (gzip)")
        #expect(self.serve(site, "/app.js", acceptEncoding: "br;q=0.5, gzip") == "gz js (gzip)")
        #expect(self.serve(site, "/app.js", acceptEncoding: "zstd") == "plain js")  // no .zst sibling
        #expect(self.serve(site, "/app.js", acceptEncoding: "identity") == "plain js")
        let off = StaticSite(root: tree.root, precompressed: false)
        #expect(self.serve(off, "/app.js", acceptEncoding: "br") == "plain js")
    }

    @Test func smallFilesAreReadWholeAndClosedLargeOnesStayOpen() throws {
        let tree = try Tree()
        let big = String(repeating: "x", count: 20_000)
        try big.write(toFile: tree.root + "/big.txt", atomically: false, encoding: .utf8)
        let resolver = StaticFileResolver(site: StaticSite(root: tree.root, inlineBytes: 16 * 1024))
        guard case .file(let small) = resolver.resolve(path: "/about.html", acceptEncoding: nil, readsSmallFiles: true) else {
            Issue.record("about.html not found")
            return
        }
        #expect(small.descriptor == -1)
        #expect(small.contents.map { String(buffer: $0) } == "about")
        guard case .file(let large) = resolver.resolve(path: "/big.txt", acceptEncoding: nil, readsSmallFiles: true) else {
            Issue.record("big.txt not found")
            return
        }
        defer { close(large.descriptor) }
        #expect(large.descriptor >= 0 && large.contents == nil)
        #expect(large.validators.size == 20_000)
    }

    @Test func listingsEscapeNamesAndHideDotfiles() throws {
        let tree = try Tree()
        try "x".write(toFile: tree.root + "/empty/<b>&\"x\".txt", atomically: false, encoding: .utf8)
        try "x".write(toFile: tree.root + "/empty/.hidden", atomically: false, encoding: .utf8)
        let site = StaticSite(root: tree.root, listing: true)
        let page = self.serve(site, "/empty/")
        #expect(page.hasPrefix("listing:"))
        #expect(page.contains("&lt;b&gt;&amp;&quot;x&quot;.txt"))
        #expect(page.contains("href=\"./%3Cb%3E%26%22x%22.txt\""))
        #expect(!page.contains("<b>"))
        #expect(!page.contains(".hidden"))
        #expect(self.serve(site, "/empty") == "301")  // the listing is at `/empty/`
        #expect(self.serve(StaticSite(root: tree.root), "/empty/") == "404")
    }
}
