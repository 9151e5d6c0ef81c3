import Testing

@testable import ProxyConfig

/// The `scaling` list of a target group.
@Suite struct ScalingConfigTests {
    /// A valid file whose only target group `web` has `scaling:` with `rules` (each line indented
    /// for line 7 onwards).
    private static func yaml(rules: String) -> String {
        """
        listeners:
          - bind: ":80"
            routes: [{forward: web}]
        target_groups:
          web:
            targets: ["127.0.0.1:8080"]
            scaling:
        \(rules)
        """
    }

    @Test func parsesEveryKey() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.parse(
            Self.yaml(
                rules: """
                      - name: scale-out
                        when: requests_per_target_per_second > 200
                        for: 60s
                        cooldown: 10m
                        hysteresis: 15%
                        exec: "/usr/local/bin/add-host web"
                        webhook: "http://127.0.0.1:9000/scale"
                      - when: healthy_targets < 2
                        exec: "logger portcullis: web is short of healthy targets"
                      - when: p95_latency > 1s for 2m
                        webhook: "http://[::1]:9000/scale?group=web"
                      - when: in_flight_per_target>=12.5
                        hysteresis: 0
                        cooldown: 0s
                        webhook: "http://hooks.internal:80"
                """
            )
        )
        #expect(configuration.warnings.isEmpty)
        let scaling = try #require(configuration.targetGroup(named: "web")).scaling
        #expect(
            scaling == [
                ScalingRuleConfiguration(
                    name: "scale-out",
                    condition: ScalingCondition(metric: .requestsPerTargetPerSecond, comparison: .greaterThan, threshold: 200),
                    holdFor: .seconds(60),
                    cooldown: .seconds(600),
                    hysteresisPercent: 15,
                    exec: "/usr/local/bin/add-host web",
                    webhook: WebhookURL(host: "127.0.0.1", port: 9000, path: "/scale")
                ),
                ScalingRuleConfiguration(
                    name: "rule2",
                    condition: ScalingCondition(metric: .healthyTargets, comparison: .lessThan, threshold: 2),
                    exec: "logger portcullis: web is short of healthy targets"
                ),
                ScalingRuleConfiguration(
                    name: "rule3",
                    condition: ScalingCondition(metric: .p95Latency, comparison: .greaterThan, threshold: 1000),
                    holdFor: .seconds(120),
                    webhook: WebhookURL(host: "::1", port: 9000, path: "/scale?group=web")
                ),
                ScalingRuleConfiguration(
                    name: "rule4",
                    condition: ScalingCondition(metric: .inFlightPerTarget, comparison: .greaterThanOrEqual, threshold: 12.5),
                    cooldown: .zero,
                    hysteresisPercent: 0,
                    webhook: WebhookURL(host: "hooks.internal", port: 80, path: "/")
                ),
            ]
        )
        #expect(scaling.map(\.summary) == [
            "requests_per_target_per_second > 200 for 1m",
            "healthy_targets < 2",
            "p95_latency > 1000ms for 2m",
            "in_flight_per_target >= 12.5",
        ])
        #expect(scaling[2].webhook?.description == "http://[::1]:9000/scale?group=web")
    }

    @Test func defaultsAndAnEmptyList() throws {
        let fixture = try ConfigFixture()
        let rule = try fixture.parse(Self.yaml(rules: "      - {when: healthy_targets <= 0, exec: \"true\"}"))
            .targetGroups[0].scaling[0]
        #expect(rule.holdFor == .zero)
        #expect(rule.cooldown == .seconds(300))
        #expect(rule.hysteresisPercent == 10)
        #expect(rule.name == "rule1")
        #expect(try fixture.parse(Self.yaml(rules: "      []")).targetGroups[0].scaling.isEmpty)
        #expect(try fixture.parse(Self.yaml(rules: "")).targetGroups[0].scaling.isEmpty)
    }

    @Test(arguments: [
        ("500", 500.0), ("500ms", 500), ("1s", 1000), ("1s250ms", 1250), ("2.5", 2.5), ("0", 0),
    ])
    func latencyThresholdIsInMilliseconds(text: String, expected: Double) throws {
        let fixture = try ConfigFixture()
        let rule = try fixture.parse(Self.yaml(rules: "      - {when: \"p95_latency > \(text)\", exec: \"true\"}"))
            .targetGroups[0].scaling[0]
        #expect(rule.condition.threshold == expected)
    }

    @Test func reportsEveryMistakeInOneGo() throws {
        let fixture = try ConfigFixture()
        let errors = fixture.errors(
            Self.yaml(
                rules: """
                      - when: request_per_target_per_second > 200
                        exec: "true"
                      - when: healthy_targets < 1.5
                        for: soon
                        exec: "true"
                      - when: p95_latency > fast
                        webhook: "https://hooks.example.com/scale"
                      - when: p95_latency == 500ms
                        webhook: "http://127.0.0.1/scale"
                      - name: dup
                        when: healthy_targets < 2 for 30s
                        for: 1m
                        cooldown: 2d
                        hysteresis: 120%
                        exec: ""
                      - name: dup
                        when: in_flight_per_target > 5
                        exec: "true"
                        exce: "typo"
                      - when: healthy_targets < 2
                      - requests_per_target_per_second > 200
                """
            )
        )
        #expect(
            errors == [
                "test.yaml:8:15: target_groups.web.scaling[0].when: unknown metric \"request_per_target_per_second\" (did you mean \"requests_per_target_per_second\"?)",
                "test.yaml:10:15: target_groups.web.scaling[1].when: healthy_targets is compared with a whole number of targets (got \"1.5\")",
                "test.yaml:11:14: target_groups.web.scaling[1].for: invalid duration \"soon\" (expected a whole number with a unit, such as 500ms, 10s, 5m, 1h or 1h30m; a bare number means seconds)",
                "test.yaml:13:15: target_groups.web.scaling[2].when: invalid latency \"fast\" (expected a duration such as 500ms or 1s; a bare number means milliseconds)",
                "test.yaml:14:18: target_groups.web.scaling[2].webhook: webhooks are plain http only; https is not supported (got \"https://hooks.example.com/scale\")",
                "test.yaml:15:15: target_groups.web.scaling[3].when: operator \"==\" after p95_latency (expected >, >=, < or <=)",
                "test.yaml:16:18: target_groups.web.scaling[3].webhook: invalid webhook URL \"http://127.0.0.1/scale\": missing port in \"127.0.0.1\" (expected host:port, such as 127.0.0.1:8080 or [::1]:8080)",
                "test.yaml:19:14: target_groups.web.scaling[4].for: is given twice: \"when\" already ends in \"for 30s\"",
                "test.yaml:20:19: target_groups.web.scaling[4].cooldown: invalid duration \"2d\" (expected a whole number with a unit, such as 500ms, 10s, 5m, 1h or 1h30m; a bare number means seconds)",
                "test.yaml:21:21: target_groups.web.scaling[4].hysteresis: must be in 0...100 (got 120%)",
                "test.yaml:22:15: target_groups.web.scaling[4].exec: must not be empty",
                "test.yaml:23:15: target_groups.web.scaling[5].name: duplicate scaling rule name \"dup\" (first used on line 17)",
                "test.yaml:26:9: target_groups.web.scaling[5].exce: unknown key \"exce\" (did you mean \"exec\"?)",
                "test.yaml:27:9: target_groups.web.scaling[6]: a scaling rule needs \"exec\", \"webhook\" or both; without a hook it does nothing",
                "test.yaml:28:9: target_groups.web.scaling[7]: expected a mapping, got a string",
            ]
        )
    }

    @Test(arguments: [
        ("scaling: {when: healthy_targets < 2}", "test.yaml:7:14: target_groups.web.scaling: expected a list, got a mapping"),
        (
            "scaling: [{exec: \"true\"}]",
            "test.yaml:7:15: target_groups.web.scaling[0].when: missing required key \"when\" (such as \"requests_per_target_per_second > 200\")"
        ),
        (
            "scaling: [{when: \"healthy_targets < 2 for 25h\", exec: \"true\"}]",
            "test.yaml:7:22: target_groups.web.scaling[0].when: the duration after \"for\" must be at most 24h"
        ),
        (
            "scaling: [{when: \"p95_latency < 0\", exec: \"true\"}]",
            "test.yaml:7:22: target_groups.web.scaling[0].when: p95_latency < 0 can never hold: metrics are never negative"
        ),
        (
            "scaling: [{when: \"cpu > 80\", exec: \"true\"}]",
            "test.yaml:7:22: target_groups.web.scaling[0].when: unknown metric \"cpu\" (expected one of: requests_per_target_per_second, healthy_targets, p95_latency, in_flight_per_target)"
        ),
        (
            "scaling: [{name: \"scale out\", when: \"healthy_targets < 2\", exec: \"true\"}]",
            "test.yaml:7:22: target_groups.web.scaling[0].name: names may contain only letters, digits, \"-\", \"_\" and \".\" (got \"scale out\")"
        ),
    ])
    func reportsOneMistake(group: String, expected: String) throws {
        let fixture = try ConfigFixture()
        let yaml = """
            listeners:
              - bind: ":80"
                routes: [{forward: web}]
            target_groups:
              web:
                targets: ["127.0.0.1:8080"]
                \(group)
            """
        #expect(fixture.errors(yaml) == [expected])
    }
}

@Suite struct ScalingConditionSyntaxTests {
    @Test(arguments: [
        ("requests_per_target_per_second > 200", "requests_per_target_per_second > 200", nil),
        ("healthy_targets<2", "healthy_targets < 2", nil),
        ("  in_flight_per_target   >=   0.5  ", "in_flight_per_target >= 0.5", nil),
        ("p95_latency <= 250ms for 1h30m", "p95_latency <= 250ms", Duration.seconds(5400)),
        ("p95_latency > 1s", "p95_latency > 1000ms", nil),
    ])
    func parses(text: String, condition: String, holdFor: Duration?) throws {
        let parsed = try ScalingConditionSyntax.parse(text).get()
        #expect(parsed.condition.description == condition)
        #expect(parsed.holdFor == holdFor)
    }

    @Test(arguments: [
        ("", "expected \"<metric> <operator> <threshold>\""),
        ("> 200", "expected \"<metric> <operator> <threshold>\""),
        ("healthy_targets", "no operator after healthy_targets"),
        ("healthy_targets <", "missing threshold after \"healthy_targets <\""),
        ("healthy_targets != 2", "operator \"!=\" after healthy_targets"),
        ("requests_per_target_per_second > 200rps", "invalid threshold \"200rps\""),
        ("requests_per_target_per_second > -1", "invalid threshold \"-1\""),
        ("p59_latency > 1", "did you mean \"p95_latency\"?"),
        ("p95_latency > 1s for ever", "invalid duration \"ever\" after \"for\""),
    ])
    func refuses(text: String, messageContains: String) {
        guard case .failure(let problem) = ScalingConditionSyntax.parse(text) else {
            Issue.record("\"\(text)\" parsed")
            return
        }
        #expect(problem.message.contains(messageContains), "\(problem.message)")
    }
}

@Suite struct ScalingWebhookURLSyntaxTests {
    @Test(arguments: [
        ("http://127.0.0.1:9000/scale", "127.0.0.1", 9000, "/scale"),
        ("HTTP://Hooks.Internal:8080", "hooks.internal", 8080, "/"),
        ("http://10.0.0.1:80?x=1", "10.0.0.1", 80, "/?x=1"),
        ("http://[::1]:9000/a/b?c=d", "::1", 9000, "/a/b?c=d"),
    ])
    func parses(text: String, host: String, port: Int, path: String) throws {
        #expect(try WebhookURLSyntax.parse(text).get() == WebhookURL(host: host, port: port, path: path))
    }

    @Test(arguments: [
        "127.0.0.1:9000/scale", "ftp://127.0.0.1:21/", "https://127.0.0.1:443/", "http://127.0.0.1/scale",
        "http://user@127.0.0.1:9000/", "http://127.0.0.1:9000/a#frag", "http://127.0.0.1:9000/a b", "http://:9000/",
        "http://127.0.0.1:99999/",
    ])
    func refuses(text: String) {
        guard case .failure = WebhookURLSyntax.parse(text) else {
            Issue.record("\"\(text)\" parsed")
            return
        }
    }
}
