import Foundation
import Logging
import ProxyConfig
import ProxyServer
import Testing

/// Real hooks: `/bin/sh -c` children and HTTP webhooks on 127.0.0.1.
@Suite struct ScalingHookRunnerTests {
    private static func firing(exec: String? = nil, webhook: WebhookURL? = nil) -> ScalingFiring {
        ScalingFiring(
            targetGroup: "web",
            rule: "scale-out",
            condition: "requests_per_target_per_second > 200 for 1m",
            metric: "requests_per_target_per_second",
            value: 231.33333,
            threshold: 200,
            targets: 3,
            healthyTargets: 2,
            firedAt: 1_700_000_000,
            exec: exec,
            webhook: webhook
        )
    }

    private static func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func execHookGetsThePayloadInItsEnvironment() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let payloadFile = directory + "/payload.json"
        let variablesFile = directory + "/variables.txt"
        let command = """
            printf %s "$PORTCULLIS_PAYLOAD" > '\(payloadFile)'; \
            printf '%s|%s|%s|%s|%s' "$PORTCULLIS_TARGET_GROUP" "$PORTCULLIS_RULE" "$PORTCULLIS_METRIC" \
            "$PORTCULLIS_VALUE" "$PORTCULLIS_THRESHOLD" > '\(variablesFile)'
            """
        let log = RecordingLog()
        await SystemScalingHookRunner(logger: log.logger).run(Self.firing(exec: command))

        let payload = try String(contentsOfFile: payloadFile, encoding: .utf8)
        let object = try Self.jsonObject(payload)
        #expect(object["event"] as? String == "scaling_threshold")
        #expect(object["target_group"] as? String == "web")
        #expect(object["rule"] as? String == "scale-out")
        #expect(object["condition"] as? String == "requests_per_target_per_second > 200 for 1m")
        #expect(object["metric"] as? String == "requests_per_target_per_second")
        #expect(object["value"] as? Double == 231.333)
        #expect(object["threshold"] as? Int == 200)
        #expect(object["targets"] as? Int == 3)
        #expect(object["healthy_targets"] as? Int == 2)
        #expect(object["fired_at"] as? String == "2023-11-14T22:13:20Z")
        #expect(
            try String(contentsOfFile: variablesFile, encoding: .utf8)
                == "web|scale-out|requests_per_target_per_second|231.333|200"
        )
        #expect(!log.lines.contains { $0.level >= .warning })
    }

    @Test func aFailingCommandIsLoggedAsAWarning() async {
        let log = RecordingLog()
        await SystemScalingHookRunner(logger: log.logger).run(Self.firing(exec: "exit 3"))
        let warnings = log.lines.filter { $0.level == .warning }
        #expect(warnings.map(\.message) == ["scaling exec hook failed: exited with status 3"])
        #expect(warnings.first?.metadata["rule"] == "scale-out")
    }

    @Test func theCommandInheritsNoDescriptorButTheStandardThree() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A descriptor of ours, well above the ones the shell uses for itself.
        let original = open("/dev/null", O_RDONLY)
        let descriptor = fcntl(original, F_DUPFD, 40)
        close(original)
        defer { close(descriptor) }
        let resultFile = directory + "/result"
        let command = "test -e /proc/$$/fd/\(descriptor); echo $? > '\(resultFile)'"
        await SystemScalingHookRunner(logger: RecordingLog().logger).run(Self.firing(exec: command))
        #expect(try String(contentsOfFile: resultFile, encoding: .utf8) == "1\n")
    }

    @Test func webhookReceivesThePayloadAsJSON() async throws {
        let receiver = try await WebhookReceiver(status: 204)
        let log = RecordingLog()
        let url = WebhookURL(host: "127.0.0.1", port: receiver.port, path: "/scale?group=web")
        let firing = Self.firing(webhook: url)
        await SystemScalingHookRunner(logger: log.logger).run(firing)
        await receiver.stop()

        let request = try #require(receiver.requests.first)
        #expect(receiver.requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.uri == "/scale?group=web")
        #expect(request.header("Content-Type") == "application/json")
        #expect(String(decoding: request.body, as: UTF8.self) == firing.payload)
        #expect(try Self.jsonObject(firing.payload)["target_group"] as? String == "web")
        #expect(!log.lines.contains { $0.level >= .warning })
    }

    @Test func aWebhookThatAnswersAnErrorIsLoggedAsAWarning() async throws {
        let receiver = try await WebhookReceiver(status: 500)
        let log = RecordingLog()
        let url = WebhookURL(host: "127.0.0.1", port: receiver.port, path: "/scale")
        await SystemScalingHookRunner(logger: log.logger).run(Self.firing(webhook: url))
        await receiver.stop()
        #expect(log.lines.filter { $0.level == .warning }.map(\.message) == ["scaling webhook failed: answered 500"])
    }

    @Test func aWebhookThatNeverAnswersTimesOut() async throws {
        let receiver = try await WebhookReceiver(status: nil)
        let log = RecordingLog()
        let url = WebhookURL(host: "127.0.0.1", port: receiver.port, path: "/scale")
        // The receiver never answers: the run returns only because the webhook timed out. (No
        // wall-clock bound: on a loaded machine the 200 ms asked for once took 3.8 s.)
        await SystemScalingHookRunner(logger: log.logger, webhookTimeout: .milliseconds(200))
            .run(Self.firing(webhook: url))
        await receiver.stop()
        #expect(log.lines.filter { $0.level == .warning }.map(\.message) == ["scaling webhook failed: timed out"])
    }

    @Test func execAndWebhookBothRun() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let receiver = try await WebhookReceiver(status: 200)
        let marker = directory + "/ran"
        let url = WebhookURL(host: "127.0.0.1", port: receiver.port, path: "/")
        await SystemScalingHookRunner(logger: RecordingLog().logger).run(Self.firing(exec: "touch '\(marker)'", webhook: url))
        await receiver.stop()
        #expect(FileManager.default.fileExists(atPath: marker))
        #expect(receiver.requests.count == 1)
    }
}

@Suite struct ScalingPayloadTests {
    @Test func payloadIsOneLineOfJSONInAFixedOrder() {
        let firing = ScalingFiring(
            targetGroup: "web \"eu\"",
            rule: "scale-out",
            condition: "p95_latency > 500ms",
            metric: "p95_latency",
            value: 612.5,
            threshold: 500,
            targets: 4,
            healthyTargets: 4,
            firedAt: 951_782_400
        )
        #expect(
            firing.payload
                == #"{"event":"scaling_threshold","target_group":"web \"eu\"","rule":"scale-out","condition":"p95_latency > 500ms","metric":"p95_latency","value":612.5,"threshold":500,"targets":4,"healthy_targets":4,"fired_at":"2000-02-29T00:00:00Z"}"#
        )
        #expect(firing.environment.map(\.0) == [
            "PORTCULLIS_TARGET_GROUP", "PORTCULLIS_RULE", "PORTCULLIS_METRIC", "PORTCULLIS_VALUE",
            "PORTCULLIS_THRESHOLD", "PORTCULLIS_PAYLOAD",
        ])
    }

    @Test func controlCharactersAreEscaped() throws {
        var firing = ScalingPayloadTests.plain
        firing.rule = "a\u{1}b\nc\\"
        let object = try #require(try JSONSerialization.jsonObject(with: Data(firing.payload.utf8)) as? [String: Any])
        #expect(object["rule"] as? String == "a\u{1}b\nc\\")
        #expect(!firing.payload.contains("\n"))
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"),
        (1_700_000_000, "2023-11-14T22:13:20Z"), (4_102_444_799, "2099-12-31T23:59:59Z"),
    ])
    func firedAtIsRFC3339InUTC(seconds: Int64, expected: String) throws {
        var firing = ScalingPayloadTests.plain
        firing.firedAt = seconds
        let object = try #require(try JSONSerialization.jsonObject(with: Data(firing.payload.utf8)) as? [String: Any])
        #expect(object["fired_at"] as? String == expected)
    }

    private static let plain = ScalingFiring(
        targetGroup: "web",
        rule: "r",
        condition: "healthy_targets < 2",
        metric: "healthy_targets",
        value: 1,
        threshold: 2,
        targets: 2,
        healthyTargets: 1,
        firedAt: 0
    )
}
