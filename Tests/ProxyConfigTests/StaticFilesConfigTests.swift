import Foundation
import ProxyConfig
import Testing

/// The `static` route action: every key, its defaults, and each mistake reported at its place.
@Suite struct StaticFilesConfigTests {
    @Test func parsesEveryKey() throws {
        let fixture = try ConfigFixture()
        try FileManager.default.createDirectory(atPath: fixture.directory + "/site", withIntermediateDirectories: true)
        let configuration = try fixture.parse(
            """
            listeners:
              - bind: ":80"
                routes:
                  - name: assets
                    match: {path_prefix: /static}
                    rewrite: {strip_prefix: /static}
                    static:
                      root: site
                      index: [index.html, index.htm]
                      try_files: [$uri, $uri.html, /index.html]
                      listing: true
                      cache_control: "public, max-age=3600"
                      precompressed: false
                      follow_symlinks: true
                      dotfiles: true
                      cache_valid: 250ms
            """
        )
        let route = configuration.listeners[0].routes[0]
        guard case .staticFiles(let site) = route.action else {
            Issue.record("not a static route: \(route.action)")
            return
        }
        #expect(site.root == fixture.directory + "/site")
        #expect(site.index == ["index.html", "index.htm"])
        #expect(site.tryFiles == ["$uri", "$uri.html", "/index.html"])
        #expect(site.listing && site.followSymlinks && site.dotfiles && !site.precompressed)
        #expect(site.cacheControl == "public, max-age=3600")
        #expect(site.cacheValid == .milliseconds(250))
        #expect(route.rewrite != nil)
        #expect(route.targetGroup == nil)
    }

    @Test func defaultsFromTheDefaultsModule() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - bind: ":80"
                routes:
                  - static: {root: /tmp}
            """
        )
        guard case .staticFiles(let site) = configuration.listeners[0].routes[0].action else {
            Issue.record("not a static route")
            return
        }
        #expect(site == StaticFilesConfiguration(root: "/tmp"))
        #expect(site.index == ["index.html"] && site.tryFiles == ["$uri"])
        #expect(!site.listing && site.precompressed && !site.followSymlinks && !site.dotfiles && site.cacheControl == nil)
        #expect(site.cacheValid == .seconds(1))
    }

    @Test func cacheValidZeroTurnsTheCacheOffAndBadValuesAreReported() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - bind: ":80"
                routes:
                  - static: {root: /tmp, cache_valid: 0}
            """
        )
        guard case .staticFiles(let site) = configuration.listeners[0].routes[0].action else {
            Issue.record("not a static route")
            return
        }
        #expect(site.cacheValid == .zero)
        let errors = fixture.errors(
            """
            listeners:
              - bind: ":80"
                routes:
                  - name: one
                    match: {path: /a}
                    static: {root: /tmp, cache_valid: soon}
                  - name: two
                    static: {root: /tmp, cache_valid: 2h}
            """
        )
        #expect(errors.contains { $0.contains("routes[0].static.cache_valid: invalid duration \"soon\"") }, "\(errors)")
        #expect(errors.contains { $0.contains("routes[1].static.cache_valid: must be in") }, "\(errors)")
    }

    @Test func reportsEveryMistakeAtOnce() throws {
        let fixture = try ConfigFixture()
        try fixture.writeFile("a-file", "x")
        let errors = fixture.errors(
            """
            listeners:
              - bind: ":80"
                routes:
                  - name: one
                    static:
                      root: missing-dir
                      index: [a/b.html]
                      try_files: [index.html, /a/../b]
                      listing: maybe
                      cache_control: "a\\u0001b"
                      colour: blue
                  - name: two
                    match: {path: /x}
                    static: {root: a-file}
                  - name: three
                    match: {path: /y}
                    static: {index: [i.html]}
                    forward: web
            """
        )
        let expected = [
            "test.yaml:6:17: listeners[0].routes[0].static.root: directory not found: \(fixture.directory)/missing-dir",
            "test.yaml:7:19: listeners[0].routes[0].static.index[0]: must be a file name without \"/\" (got \"a/b.html\")",
            "test.yaml:8:23: listeners[0].routes[0].static.try_files[0]: must start with \"$uri\" or \"/\" (got \"index.html\"), such as $uri, $uri.html, $uri/ or /index.html",
            "test.yaml:8:35: listeners[0].routes[0].static.try_files[1]: must not contain a \"..\" segment (got \"/a/../b\")",
            "test.yaml:9:20: listeners[0].routes[0].static.listing: expected true or false, got \"maybe\"",
            "test.yaml:11:11: listeners[0].routes[0].static.colour: unknown key \"colour\"",
            "test.yaml:14:24: listeners[0].routes[1].static.root: is not a readable directory: \(fixture.directory)/a-file",
        ]
        for line in expected {
            #expect(errors.contains(line), "missing \(line) in \(errors.joined(separator: "\n"))")
        }
        #expect(errors.contains { $0.contains("static.cache_control: must be printable ASCII") })
        #expect(errors.contains { $0.contains("routes[2].static.root: missing required key \"root\"") })
        #expect(errors.contains { $0.contains("routes[2]: route \"three\" has more than one action (\"forward\", \"static\")") })
    }

    @Test func aStaticRouteTakesRewriteAndAuthButARedirectDoesNot() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - bind: ":80"
                routes:
                  - match: {path_prefix: /r}
                    rewrite: {strip_prefix: /r}
                    redirect: {scheme: https}
                  - rewrite: {strip_prefix: /s}
                    static: {root: /tmp}
            """
        )
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("routes[0].rewrite: only a route that forwards or serves files rewrites the path") == true)
    }
}
