import ProxyConfig
import Testing

/// The load-balancing keys of a target group: target names and limits, `stickiness`,
/// `slow_start`, `all_unhealthy`, `retries` and `outlier_detection`.
@Suite struct BalancingConfigTests {
    /// A valid file whose only target group `web` has the keys in `group` (indented for line 5).
    private static func yaml(group: String) -> String {
        """
        listeners:
          - bind: ":80"
            routes: [{forward: web}]
        target_groups:
          web:
            \(group)
        """
    }

    @Test func parsesEveryBalancingKey() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            """
            listeners:
              - bind: ":80"
                routes: [{forward: web}]
            target_groups:
              web:
                policy: least_connections
                targets:
                  - {address: "10.0.0.1:8080", name: app-1, max_connections: 100}
                  - {address: "10.0.0.2:8080", weight: 3, max_connections: null}
                  - "10.0.0.3:8080"
                stickiness: {enabled: true, cookie: WEB_AFFINITY, ttl: 30m}
                slow_start: 45s
                all_unhealthy: reject
                retries: {max_tries: 3, budget: 12.5%, retry_on_timeout: true}
                outlier_detection: {enabled: false, consecutive_failures: 10, base_ejection_time: 1m, max_ejection_percent: 100%}
            """
        )
        #expect(configuration.warnings.isEmpty)
        let web = try #require(configuration.targetGroup(named: "web"))
        #expect(
            web.targets == [
                TargetConfiguration(host: "10.0.0.1", port: 8080, name: "app-1", maxConnections: 100),
                TargetConfiguration(host: "10.0.0.2", port: 8080, weight: 3, name: "t2"),
                TargetConfiguration(host: "10.0.0.3", port: 8080, name: "t3"),
            ]
        )
        #expect(
            web.stickiness == StickinessConfiguration(enabled: true, cookieName: "WEB_AFFINITY", ttl: .seconds(1800))
        )
        #expect(web.slowStart == .seconds(45))
        #expect(web.allUnhealthy == .reject)
        #expect(web.retries == RetryConfiguration(maxTries: 3, budgetPercent: 12.5, retryOnTimeout: true))
        #expect(
            web.outlierDetection
                == OutlierDetectionConfiguration(
                    enabled: false,
                    consecutiveFailures: 10,
                    baseEjectionTime: .seconds(60),
                    maxEjectionPercent: 100
                )
        )
    }

    @Test func emptyBlocksKeepTheDefaults() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(
                group: """
                    targets: ["127.0.0.1:8080"]
                        stickiness: {}
                        retries:
                        outlier_detection: {}
                        slow_start: 0s
                        all_unhealthy: fail_open
                    """
            )
        )
        let web = try #require(configuration.targetGroup(named: "web"))
        #expect(
            web == TargetGroupConfiguration(name: "web", targets: [TargetConfiguration(host: "127.0.0.1", port: 8080)])
        )
        #expect(web.targets[0].name == "t1")
        #expect(web.targets[0].maxConnections == nil)
        #expect(web.stickiness.cookieName == StickinessConfiguration.defaultCookieName)
        #expect(web.stickiness.ttl == .seconds(3600))
    }

    @Test(arguments: [
        ("0", Duration?.none), ("null", nil), ("0s", nil), ("2h", .seconds(7200)), ("9600h", .seconds(34_560_000)),
    ])
    func stickinessTTLZeroOrNullMeansSessionCookie(ttl: String, expected: Duration?) throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(group: "{targets: [\"127.0.0.1:8080\"], stickiness: {enabled: true, ttl: \(ttl)}}")
        )
        #expect(configuration.targetGroups[0].stickiness.ttl == expected)
    }

    @Test(arguments: [
        ("20", 20.0), ("20%", 20), ("\"20 %\"", 20), ("0", 0), ("100%", 100), ("12.5", 12.5), ("0.5%", 0.5),
    ])
    func retryBudgetIsAPercentage(budget: String, expected: Double) throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(group: "{targets: [\"127.0.0.1:8080\"], retries: {budget: \(budget)}}")
        )
        #expect(configuration.targetGroups[0].retries.budgetPercent == expected)
    }

    @Test func targetNamesDefaultToTheirPosition() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(
                group: """
                    targets: ["127.0.0.1:8080", {address: "127.0.0.1:8081", name: blue}, {address: "127.0.0.1:8082"}, "127.0.0.1:8083"]
                    """
            )
        )
        #expect(configuration.targetGroups[0].targets.map(\.name) == ["t1", "blue", "t3", "t4"])
    }

    @Test func rejectsDuplicateTargetNames() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            """
            listeners:
              - bind: ":80"
                routes: [{forward: web}]
            target_groups:
              web:
                targets:
                  - {address: "127.0.0.1:8080", name: green}
                  - {address: "127.0.0.1:8081", name: green}
                  - {address: "127.0.0.1:8082", name: t1}
                  - {address: "127.0.0.1:8083", name: t5}
                  - "127.0.0.1:8084"
                  - {address: "127.0.0.1:8085", name: "green blue"}
              other:
                targets: [{address: "127.0.0.1:9000", name: green}]
            """
        )
        #expect(
            errors == [
                "test.yaml:8:43: target_groups.web.targets[1].name: duplicate target name \"green\" (first used on line 7)",
                "test.yaml:11:9: target_groups.web.targets[4].name: duplicate target name \"t5\" (first used on line 10); targets without a \"name\" are called t1, t2, … by position",
                "test.yaml:12:43: target_groups.web.targets[5].name: names may contain only letters, digits, \"-\", \"_\" and \".\" (got \"green blue\")",
            ]
        )
        // `t1` is free: the first target is named "green".
        #expect(!errors.contains { $0.contains("targets[2]") })
    }

    @Test func explainsAClashWithADefaultName() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            Self.yaml(group: "targets: [\"127.0.0.1:8080\", {address: \"127.0.0.1:8081\", name: t1}]")
        )
        #expect(
            errors == [
                "test.yaml:6:67: target_groups.web.targets[1].name: duplicate target name \"t1\" (first used on line 6); targets without a \"name\" are called t1, t2, … by position"
            ]
        )
    }

    /// One mistake at a time, with the key, line and column it must be reported at.
    @Test(arguments: [
        (
            "{address: \"127.0.0.1:8080\", max_connections: 0}",
            "test.yaml:6:60: target_groups.web.targets[0].max_connections: must be an integer ≥ 1, or null for no limit (got \"0\")"
        ),
        (
            "{address: \"127.0.0.1:8080\", max_connections: unlimited}",
            "test.yaml:6:60: target_groups.web.targets[0].max_connections: must be an integer ≥ 1, or null for no limit (got \"unlimited\")"
        ),
        (
            "{address: \"127.0.0.1:8080\", nmae: a}",
            "test.yaml:6:43: target_groups.web.targets[0].nmae: unknown key \"nmae\" (did you mean \"name\"?)"
        ),
        (
            "{address: \"127.0.0.1:8080\", max_connection: 5}",
            "test.yaml:6:43: target_groups.web.targets[0].max_connection: unknown key \"max_connection\" (did you mean \"max_connections\"?)"
        ),
    ])
    func reportsTargetMistakes(target: String, expected: String) throws {
        let fixture = try ConfigFixture()
        #expect(fixture.errors(Self.yaml(group: "targets: [\(target)]")) == [expected])
    }

    @Test(arguments: [
        (
            "stickiness: {enabled: yes please}",
            "test.yaml:7:27: target_groups.web.stickiness.enabled: expected true or false, got \"yes please\""
        ),
        (
            "stickiness: {cookie: \"my cookie\"}",
            "test.yaml:7:26: target_groups.web.stickiness.cookie: \"my cookie\" is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~ only; no spaces, \"=\", \";\" or \",\")"
        ),
        (
            "stickiness: {cookie: \"a=b\"}",
            "test.yaml:7:26: target_groups.web.stickiness.cookie: \"a=b\" is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~ only; no spaces, \"=\", \";\" or \",\")"
        ),
        (
            "stickiness: {cookie: \"\"}",
            "test.yaml:7:26: target_groups.web.stickiness.cookie: must not be empty"
        ),
        (
            "stickiness: {ttl: 9601h}",
            "test.yaml:7:23: target_groups.web.stickiness.ttl: must be in 0s...9600h (got 9601h)"
        ),
        (
            "stickiness: {cookie_name: x}",
            "test.yaml:7:18: target_groups.web.stickiness.cookie_name: unknown key \"cookie_name\" (did you mean \"cookie\"?)"
        ),
        (
            "stickiness: true",
            "test.yaml:7:17: target_groups.web.stickiness: expected a mapping, got a boolean"
        ),
        (
            "slow_start: 2h",
            "test.yaml:7:17: target_groups.web.slow_start: must be in 0s...1h (got 2h)"
        ),
        (
            "slow_start: soon",
            "test.yaml:7:17: target_groups.web.slow_start: invalid duration \"soon\" (expected a whole number with a unit, such as 500ms, 10s, 5m, 1h or 1h30m; a bare number means seconds)"
        ),
        (
            "slowstart: 30s",
            "test.yaml:7:5: target_groups.web.slowstart: unknown key \"slowstart\" (did you mean \"slow_start\"?)"
        ),
        (
            "all_unhealthy: fail_closed",
            "test.yaml:7:20: target_groups.web.all_unhealthy: unknown all_unhealthy behaviour \"fail_closed\" (expected one of: fail_open, reject)"
        ),
        (
            "retries: {max_tries: 0}",
            "test.yaml:7:26: target_groups.web.retries.max_tries: must be in 1...10 (got 0)"
        ),
        (
            "retries: {max_tries: 11}",
            "test.yaml:7:26: target_groups.web.retries.max_tries: must be in 1...10 (got 11)"
        ),
        (
            "retries: {budget: 150%}",
            "test.yaml:7:23: target_groups.web.retries.budget: must be in 0...100 (got 150%)"
        ),
        (
            "retries: {budget: -5}",
            "test.yaml:7:23: target_groups.web.retries.budget: invalid percentage \"-5\" (expected a number in 0...100, such as 20, 20% or 12.5%)"
        ),
        (
            "retries: {budget: [20]}",
            "test.yaml:7:23: target_groups.web.retries.budget: expected a percentage, got a list (expected a number in 0...100, such as 20, 20% or 12.5%)"
        ),
        (
            "retries: {retry_on_timeout: sometimes}",
            "test.yaml:7:33: target_groups.web.retries.retry_on_timeout: expected true or false, got \"sometimes\""
        ),
        (
            "retries: {idempotent_only: true}",
            "test.yaml:7:15: target_groups.web.retries.idempotent_only: unknown key \"idempotent_only\""
        ),
        (
            "outlier_detection: {consecutive_failures: 0}",
            "test.yaml:7:47: target_groups.web.outlier_detection.consecutive_failures: must be in 1...1000 (got 0)"
        ),
        (
            "outlier_detection: {base_ejection_time: 0s}",
            "test.yaml:7:45: target_groups.web.outlier_detection.base_ejection_time: must be greater than 0 (got 0s)"
        ),
        (
            "outlier_detection: {max_ejection_percent: 101}",
            "test.yaml:7:47: target_groups.web.outlier_detection.max_ejection_percent: must be in 0...100 (got 101)"
        ),
        (
            "outlier_detection: {max_ejection_percent: 12.5%}",
            "test.yaml:7:47: target_groups.web.outlier_detection.max_ejection_percent: invalid percentage \"12.5%\" (expected a whole number in 0...100, such as 50 or 50%)"
        ),
        (
            "outlier_detection: {enabled: on, consecutive_failure: 3}",
            "test.yaml:7:38: target_groups.web.outlier_detection.consecutive_failure: unknown key \"consecutive_failure\" (did you mean \"consecutive_failures\"?)"
        ),
    ])
    func reportsBalancingMistakes(line: String, expected: String) throws {
        let fixture = try ConfigFixture()
        let yaml = Self.yaml(group: "targets: [\"127.0.0.1:8080\"]\n    \(line)")
        #expect(fixture.errors(yaml) == [expected])
    }

    @Test func reportsEveryBalancingMistakeAtOnce() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            Self.yaml(
                group: """
                    targets: [{address: "127.0.0.1:8080", max_connections: -1}]
                        stickiness: {cookie: "x;y", ttl: forever}
                        retries: {max_tries: 20, budget: lots}
                    """
            )
        )
        #expect(
            errors.map { $0.split(separator: ": ").prefix(2).joined(separator: ": ") } == [
                "test.yaml:6:60: target_groups.web.targets[0].max_connections",
                "test.yaml:7:26: target_groups.web.stickiness.cookie",
                "test.yaml:7:38: target_groups.web.stickiness.ttl",
                "test.yaml:8:26: target_groups.web.retries.max_tries",
                "test.yaml:8:38: target_groups.web.retries.budget",
            ]
        )
    }

    @Test func warnsAboutKeysThatIPHashMakesPointless() throws {
        let fixture = try ConfigFixture()
        let warnings = try fixture.warnings(
            Self.yaml(
                group: """
                    policy: ip_hash
                        targets: ["127.0.0.1:8080"]
                        stickiness: {enabled: true}
                        slow_start: 30s
                    """
            )
        )
        #expect(
            warnings == [
                "test.yaml:8:27: warning: target_groups.web.stickiness.enabled: is redundant with policy ip_hash, which already sends each client to the same target",
                "test.yaml:9:17: warning: target_groups.web.slow_start: is ignored by policy ip_hash, which does not shift traffic gradually to a new target",
            ]
        )
    }

    @Test(arguments: [
        "policy: ip_hash\n    stickiness: {enabled: false}\n    slow_start: 0s",
        "policy: round_robin\n    stickiness: {enabled: true}\n    slow_start: 30s",
        "policy: least_connections\n    stickiness: {enabled: true}\n    slow_start: 1h",
    ])
    func doesNotWarnWhenThePolicyUsesTheKeys(keys: String) throws {
        let fixture = try ConfigFixture()
        let warnings = try fixture.warnings(Self.yaml(group: "targets: [\"127.0.0.1:8080\"]\n    \(keys)"))
        #expect(warnings.isEmpty)
    }

    @Test func groupsBuiltInCodeNameTheirTargets() {
        let group = TargetGroupConfiguration(
            name: "web",
            targets: [
                TargetConfiguration(host: "127.0.0.1", port: 1),
                TargetConfiguration(host: "127.0.0.1", port: 2, name: "blue"),
                TargetConfiguration(host: "127.0.0.1", port: 3),
            ]
        )
        #expect(group.targets.map(\.name) == ["t1", "blue", "t3"])
        #expect(TargetConfiguration.defaultName(position: 7) == "t7")
    }
}
