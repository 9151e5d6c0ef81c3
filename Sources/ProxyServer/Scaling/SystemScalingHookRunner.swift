public import Logging
import ProxyConfig

/// Runs scaling hooks for real: `exec` as `/bin/sh -c <command>`, `webhook` as an HTTP `POST`.
///
/// The command gets the firing in its environment (``ScalingFiring/environment``:
/// `PORTCULLIS_TARGET_GROUP`, `PORTCULLIS_RULE`, `PORTCULLIS_METRIC`, `PORTCULLIS_VALUE`,
/// `PORTCULLIS_THRESHOLD` and `PORTCULLIS_PAYLOAD`); the webhook gets ``ScalingFiring/payload``
/// as `application/json`. Both run at the same time. A command that exits non-zero or cannot be
/// started, and a webhook that fails, times out or answers other than 2xx, are logged at
/// warning; nothing else happens.
public struct SystemScalingHookRunner: ScalingHookRunner {
    private let logger: Logger
    private let webhookTimeout: Duration

    /// - Parameters:
    ///   - logger: Receives a warning for each failed hook and a debug line for each that succeeded.
    ///   - webhookTimeout: How long to wait for the webhook to connect, and again for its answer.
    public init(logger: Logger, webhookTimeout: Duration = .seconds(5)) {
        self.logger = logger
        self.webhookTimeout = webhookTimeout
    }

    public func start(_ firing: ScalingFiring) {
        // Unstructured on purpose: the hooks outlive the tick, and a supervisor replaced on
        // reload must not take half-run hooks (or unreaped children) with it.
        Task { await self.run(firing) }
    }

    /// Runs both hooks of `firing` and returns when both have finished.
    public func run(_ firing: ScalingFiring) async {
        async let command: Void = self.runCommand(of: firing)
        async let webhook: Void = self.postWebhook(of: firing)
        _ = await (command, webhook)
    }

    private func runCommand(of firing: ScalingFiring) async {
        guard let command = firing.exec else { return }
        var logger = self.logger
        logger[metadataKey: "target_group"] = "\(firing.targetGroup)"
        logger[metadataKey: "rule"] = "\(firing.rule)"
        logger[metadataKey: "exec"] = "\(command)"
        do {
            let termination = try await ShellCommand(command, environment: firing.environment).run()
            if termination == .exited(0) {
                logger.debug("scaling exec hook finished")
            } else {
                logger.warning("scaling exec hook failed: \(termination)")
            }
        } catch {
            logger.warning("scaling exec hook failed: \(error)")
        }
    }

    private func postWebhook(of firing: ScalingFiring) async {
        guard let webhook = firing.webhook else { return }
        var logger = self.logger
        logger[metadataKey: "target_group"] = "\(firing.targetGroup)"
        logger[metadataKey: "rule"] = "\(firing.rule)"
        logger[metadataKey: "webhook"] = "\(webhook)"
        let client = PlainHTTPClient(host: webhook.host, port: webhook.port, timeout: self.webhookTimeout)
        do {
            let response = try await client.request(
                "POST",
                webhook.path,
                headers: [("Content-Type", "application/json")],
                body: Array(firing.payload.utf8)
            )
            if (200..<300).contains(response.status) {
                logger.debug("scaling webhook answered \(response.status)")
            } else {
                logger.warning("scaling webhook failed: answered \(response.status)")
            }
        } catch {
            logger.warning("scaling webhook failed: \(error)")
        }
    }
}
