import ProxyConfig
import Testing

/// The route keys: `priority`, the `match` conditions `path`, `methods` and `headers`, and the
/// actions `forward`, `redirect` and `fixed_response`.
@Suite struct RouteConfigTests {
    /// A valid file whose first listener has the routes in `routes` (one per line, not indented),
    /// the first of them on line 4.
    private static func yaml(routes: String) -> String {
        let indented = routes.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
        return """
            listeners:
              - bind: ":80"
                routes:
            \(indented)
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
              api: {targets: ["127.0.0.1:8081"]}
            """
    }

    @Test func parsesEveryRouteKey() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - bind: ":80"
                routes:
                  - name: api-writes
                    priority: 10
                    match:
                      host: "*.Example.com"
                      path_prefix: /api
                      methods: [post, PUT]
                      headers:
                        X-Canary: "1"
                        Authorization: true
                        X-Any: "*"
                    forward: api
                  - name: maintenance
                    match: {path_prefix: /old}
                    redirect: {scheme: https, host: New.Example.com, port: 443, path: /new, status: 308}
                  - name: teapot
                    match: {path: /healthz, methods: GET}
                    fixed_response: {status: 418, body: "short and stout\\n", content_type: text/html}
                  - name: login
                    match: {path: /api/login}
                    redirect: {path: /login}
                  - name: empty
                    match: {path: /empty}
                    fixed_response: {}
                  - name: default
                    forward: web
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
              api: {targets: ["127.0.0.1:8081"]}
            """
        )
        #expect(configuration.warnings.isEmpty)
        let routes = try #require(configuration.listeners.first?.routes)
        #expect(
            routes == [
                RouteConfiguration(
                    name: "api-writes",
                    host: "*.example.com",
                    pathPrefix: "/api",
                    methods: ["POST", "PUT"],
                    headers: [
                        HeaderCondition(name: "X-Canary", value: "1"),
                        HeaderCondition(name: "Authorization"),
                        HeaderCondition(name: "X-Any"),
                    ],
                    priority: 10,
                    action: .forward(targetGroup: "api"),
                    line: 4
                ),
                RouteConfiguration(
                    name: "maintenance",
                    pathPrefix: "/old",
                    action: .redirect(
                        RedirectConfiguration(
                            scheme: "https", host: "new.example.com", port: 443, path: "/new", status: 308)
                    ),
                    line: 15
                ),
                RouteConfiguration(
                    name: "teapot",
                    path: "/healthz",
                    methods: ["GET"],
                    action: .fixedResponse(
                        FixedResponseConfiguration(status: 418, body: "short and stout\n", contentType: "text/html")
                    ),
                    line: 18
                ),
                RouteConfiguration(
                    name: "login",
                    path: "/api/login",
                    action: .redirect(RedirectConfiguration(path: "/login")),
                    line: 21
                ),
                RouteConfiguration(
                    name: "empty", path: "/empty", action: .fixedResponse(FixedResponseConfiguration()), line: 24),
                RouteConfiguration(name: "default", targetGroup: "web", line: 27),
            ]
        )
        #expect(routes.map(\.targetGroup) == ["api", nil, nil, nil, nil, "web"])
        #expect(routes.map(\.isCatchAll) == [false, false, false, false, false, true])
        #expect(RedirectConfiguration(path: "/login").status == 301)
        #expect(
            FixedResponseConfiguration()
                == FixedResponseConfiguration(status: 200, body: "", contentType: "text/plain; charset=utf-8")
        )
    }

    @Test func acceptsTheSpellingsOfAHeaderCondition() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(
                routes: """
                    - match: {headers: {X-Present: true, X-Star: "*", X-Number: 1, X-Quoted: "true", X-Yes: yes}}
                      forward: api
                    - match: {headers: {}}
                      forward: web
                    """
            )
        )
        let routes = try #require(configuration.listeners.first?.routes)
        #expect(
            routes[0].headers == [
                HeaderCondition(name: "X-Present"),
                HeaderCondition(name: "X-Star"),
                HeaderCondition(name: "X-Number", value: "1"),
                HeaderCondition(name: "X-Quoted", value: "true"),
                HeaderCondition(name: "X-Yes"),
            ]
        )
        #expect(routes[1].isCatchAll)
    }

    @Test func ordersRoutesByPriorityThenFileOrder() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(
                routes: """
                    - {name: a, match: {path_prefix: /a}, forward: web}
                    - {name: b, priority: 20, match: {path_prefix: /b}, forward: web}
                    - {name: c, match: {path_prefix: /c}, forward: web}
                    - {name: d, priority: 5, match: {path_prefix: /d}, forward: web}
                    - {name: default, forward: web}
                    - {name: e, priority: 50000, match: {path_prefix: /e}, forward: api}
                    - {name: f, priority: 1, match: {path_prefix: /f}, forward: web}
                    """
            )
        )
        let listener = try #require(configuration.listeners.first)
        #expect(listener.routes.map(\.name) == ["f", "d", "b", "e", "a", "c", "default"])
        #expect(listener.routes.map(\.priority) == [1, 5, 20, 50000, nil, nil, nil])
        #expect(listener.routes.map(\.line) == [10, 7, 5, 9, 4, 6, 8])
        #expect(listener.defaultRoute?.name == "default")
        #expect(configuration.warnings.isEmpty)
    }

    @Test func shadowingFollowsEvaluationOrder() throws {
        let fixture = try ConfigFixture()
        let warnings = try fixture.warnings(
            Self.yaml(
                routes: """
                    - {name: late, match: {path_prefix: /api/v2}, forward: api}
                    - {name: early, priority: 1, match: {path_prefix: /api}, forward: api}
                    - {name: default, forward: web}
                    """
            )
        )
        #expect(
            warnings == [
                "test.yaml:4:9: warning: listeners[0].routes[0]: route \"late\" can never match: route \"early\" (line 5, priority 1) comes first and it matches every request this route would"
            ]
        )
    }

    @Test func shadowingAccountsForPathsMethodsAndHeaders() throws {
        let fixture = try ConfigFixture()
        let warnings = try fixture.warnings(
            Self.yaml(
                routes: """
                    - {name: writes, match: {path_prefix: /api, methods: [POST, PUT, DELETE]}, forward: api}
                    - {name: post-login, match: {path: /api/login, methods: POST}, forward: api}
                    - {name: any-login, match: {path: /api/login}, forward: api}
                    - {name: canary, match: {headers: {X-Canary: "1"}}, forward: api}
                    - {name: canary-api, match: {path_prefix: /v1, headers: {x-canary: "1", X-User: true}}, forward: api}
                    - {name: canary-2, match: {headers: {X-Canary: "2"}}, forward: api}
                    - {name: authorised, match: {headers: {Authorization: true}}, forward: api}
                    - {name: bearer, match: {headers: {Authorization: Bearer x}}, forward: api}
                    - {name: health, match: {path: /healthz}, fixed_response: {}}
                    - {name: health-get, match: {path: /healthz, methods: GET}, fixed_response: {}}
                    - {name: health-sub, match: {path_prefix: /healthz/x}, fixed_response: {}}
                    - {name: get-only, match: {methods: [GET]}, forward: web}
                    - {name: get-or-head, match: {methods: [GET, HEAD]}, forward: web}
                    - {name: get-docs, match: {path_prefix: /docs, methods: [get]}, forward: web}
                    - {name: default, forward: web}
                    """
            )
        )
        #expect(
            warnings == [
                "test.yaml:5:9: warning: listeners[0].routes[1]: route \"post-login\" can never match: route \"writes\" (line 4) comes first and it matches every request this route would",
                "test.yaml:8:9: warning: listeners[0].routes[4]: route \"canary-api\" can never match: route \"canary\" (line 7) comes first and it matches every request this route would",
                "test.yaml:11:9: warning: listeners[0].routes[7]: route \"bearer\" can never match: route \"authorised\" (line 10) comes first and it matches every request this route would",
                "test.yaml:13:9: warning: listeners[0].routes[9]: route \"health-get\" can never match: route \"health\" (line 12) comes first and it matches every request this route would",
                "test.yaml:17:9: warning: listeners[0].routes[13]: route \"get-docs\" can never match: route \"get-only\" (line 15) comes first and it matches every request this route would",
            ]
        )
    }

    @Test func warnsWhenNoRouteMatchesEverything() throws {
        let fixture = try ConfigFixture()
        let warnings = try fixture.warnings(
            """
            listeners:
              - bind: ":80"
                routes:
                  - {match: {path_prefix: /api}, forward: api}
                  - {match: {methods: GET}, forward: web}
              - bind: ":81"
                routes: [{match: {headers: {X-A: true}}, forward: web}, {redirect: {scheme: https}}]
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
              api: {targets: ["127.0.0.1:8081"]}
            """
        )
        #expect(
            warnings == [
                "test.yaml:4:7: warning: listeners[0].routes: no default route (a route without match); requests that match no route get 404"
            ]
        )
    }

    @Test func redirectAndFixedResponseRoutesUseNoTargetGroup() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - bind: ":80"
                routes:
                  - {match: {path: /old}, redirect: {path: /new}}
                  - {forward: web}
              - bind: ":81"
                routes:
                  - {fixed_response: {status: 503, body: down}}
            target_groups:
              web: {targets: ["127.0.0.1:8080"]}
              spare: {targets: ["127.0.0.1:8081"]}
            """
        )
        #expect(
            configuration.warnings.map(\.description) == [
                "test.yaml:11:3: warning: target_groups.spare: target group \"spare\" is not used by any route"
            ]
        )
        #expect(configuration.listeners[1].routes[0].targetGroup == nil)
        #expect(configuration.listeners[1].defaultRoute?.isCatchAll == true)
    }

    @Test func warnsAboutRepeatedMethodsAndIgnoredBodies() throws {
        let fixture = try ConfigFixture()
        let warnings = try fixture.warnings(
            Self.yaml(
                routes: """
                    - {match: {methods: [GET, get]}, fixed_response: {status: 204, body: nothing}}
                    - {forward: web}
                    """
            )
        )
        #expect(
            warnings == [
                "test.yaml:4:33: warning: listeners[0].routes[0].match.methods[1]: method GET is listed twice",
                "test.yaml:4:76: warning: listeners[0].routes[0].fixed_response.body: is not sent: a response with status 204 has no body",
                "test.yaml:8:3: warning: target_groups.api: target group \"api\" is not used by any route",
            ]
        )
    }

    /// One mistake at a time, in a route on line 4 (the item's mapping starts at column 9).
    @Test(arguments: [
        (
            "{match: {path: /a, path_prefix: /a}, forward: web}",
            "test.yaml:4:24: listeners[0].routes[0].match.path: cannot be combined with \"path_prefix\" (line 4); use \"path\" for one exact path or \"path_prefix\" for every path that starts with it"
        ),
        (
            "{name: both, forward: web, redirect: {scheme: https}}",
            "test.yaml:4:9: listeners[0].routes[0]: route \"both\" has more than one action (\"forward\", \"redirect\"); keep exactly one of \"forward\" (the name of a target group), \"redirect\", \"fixed_response\" or \"static\""
        ),
        (
            "{name: nothing, match: {path: /a}}",
            "test.yaml:4:9: listeners[0].routes[0]: route \"nothing\" has no action; add one of \"forward\" (the name of a target group), \"redirect\", \"fixed_response\" or \"static\""
        ),
        (
            "{redirect: {host: example.com, status: 200}}",
            "test.yaml:4:48: listeners[0].routes[0].redirect.status: must be one of 301, 302, 303, 307, 308 (got \"200\")"
        ),
        (
            "{redirect: {}}",
            "test.yaml:4:20: listeners[0].routes[0].redirect: needs at least one of \"scheme\", \"host\", \"port\" or \"path\" (a redirect to the same URL would loop)"
        ),
        (
            "{redirect: {scheme: ftp}}",
            "test.yaml:4:29: listeners[0].routes[0].redirect.scheme: unknown scheme \"ftp\" (expected one of: http, https)"
        ),
        (
            "{redirect: {host: \"example.com:8443\"}}",
            "test.yaml:4:27: listeners[0].routes[0].redirect.host: must be a host name or IPv4 address without port; set \"port\" for the port (got \"example.com:8443\")"
        ),
        (
            "{redirect: {port: 0}}",
            "test.yaml:4:27: listeners[0].routes[0].redirect.port: must be in 1...65535 (got 0)"
        ),
        (
            "{redirect: {path: new}}",
            "test.yaml:4:27: listeners[0].routes[0].redirect.path: must start with \"/\" (got \"new\")"
        ),
        (
            "{redirect: {path: /new, query: a=b}}",
            "test.yaml:4:33: listeners[0].routes[0].redirect.query: unknown key \"query\""
        ),
        (
            "{fixed_response: {status: 600}}",
            "test.yaml:4:35: listeners[0].routes[0].fixed_response.status: must be in 100...599 (got 600)"
        ),
        (
            "{fixed_response: {body: [a]}}",
            "test.yaml:4:33: listeners[0].routes[0].fixed_response.body: expected a string, got a list"
        ),
        (
            "{fixed_response: {content_type: \"text/plain\\n\"}}",
            "test.yaml:4:41: listeners[0].routes[0].fixed_response.content_type: must be printable ASCII without line breaks (got \"text/plain\n\")"
        ),
        (
            "{fixed_response: {contenttype: text/html}}",
            "test.yaml:4:27: listeners[0].routes[0].fixed_response.contenttype: unknown key \"contenttype\" (did you mean \"content_type\"?)"
        ),
        (
            "{match: {headers: {\"X Canary\": \"1\"}}, forward: web}",
            "test.yaml:4:28: listeners[0].routes[0].match.headers.X Canary: \"X Canary\" is not a valid header name"
        ),
        (
            "{match: {headers: {X-Canary: false}}, forward: web}",
            "test.yaml:4:38: listeners[0].routes[0].match.headers.X-Canary: expected the value to compare with, or true or \"*\" for \"the header is present\"; got \"false\""
        ),
        (
            "{match: {headers: {X-Canary: \"\"}}, forward: web}",
            "test.yaml:4:38: listeners[0].routes[0].match.headers.X-Canary: must not be empty; write true to only require the header"
        ),
        (
            "{match: {headers: {X-A: true, x-a: \"1\"}}, forward: web}",
            "test.yaml:4:39: listeners[0].routes[0].match.headers.x-a: header \"x-a\" is already listed as \"X-A\" (line 4); header names are case-insensitive"
        ),
        (
            "{match: {headers: [X-A]}, forward: web}",
            "test.yaml:4:27: listeners[0].routes[0].match.headers: expected a mapping from header names to values, got a list"
        ),
        (
            "{match: {methods: [GET, \"GE T\"]}, forward: web}",
            "test.yaml:4:33: listeners[0].routes[0].match.methods[1]: \"GE T\" is not a valid method name"
        ),
        (
            "{match: {methods: []}, forward: web}",
            "test.yaml:4:27: listeners[0].routes[0].match.methods: needs at least one method; leave \"methods\" out to match every method"
        ),
        (
            "{match: {methods: {GET: 1}}, forward: web}",
            "test.yaml:4:27: listeners[0].routes[0].match.methods: expected a method or a list of methods, got a mapping"
        ),
        (
            "{match: {path: \"/a?b=1\"}, forward: web}",
            "test.yaml:4:24: listeners[0].routes[0].match.path: must be a path without query, fragment or spaces (got \"/a?b=1\")"
        ),
        (
            "{match: {method: GET}, forward: web}",
            "test.yaml:4:18: listeners[0].routes[0].match.method: unknown key \"method\" (did you mean \"methods\"?)"
        ),
        (
            "{priority: 0, forward: web}",
            "test.yaml:4:20: listeners[0].routes[0].priority: must be in 1...50000 (got 0)"
        ),
        (
            "{priority: high, forward: web}",
            "test.yaml:4:20: listeners[0].routes[0].priority: expected an integer in 1...50000, got \"high\""
        ),
        (
            "{forward: web, redirct: {path: /}}",
            "test.yaml:4:24: listeners[0].routes[0].redirct: unknown key \"redirct\" (did you mean \"redirect\"?)"
        ),
    ])
    func reportsRouteMistakes(route: String, expected: String) throws {
        let fixture = try ConfigFixture()
        #expect(fixture.errors(Self.yaml(routes: "- " + route)) == [expected])
    }

    @Test func reportsDuplicatePriorities() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            Self.yaml(
                routes: """
                    - name: a
                      priority: 10
                      forward: web
                    - {name: b, priority: 20, forward: web}
                    - {name: c, priority: 10, forward: api}
                    """
            )
        )
        #expect(
            errors == [
                "test.yaml:8:29: listeners[0].routes[2].priority: duplicate priority 10 (first used by route \"a\" on line 5)"
            ]
        )
    }

    @Test func checksTargetGroupsOnlyForForwardRoutes() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            Self.yaml(
                routes: """
                    - {match: {path: /x}, redirect: {host: web}}
                    - {match: {path: /y}, fixed_response: {body: api}}
                    - {forward: wbe}
                    """
            )
        )
        #expect(
            errors == [
                "test.yaml:6:19: listeners[0].routes[2].forward: no target group named \"wbe\" (did you mean \"web\"?)"
            ]
        )
    }
}
