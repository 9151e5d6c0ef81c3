import Foundation
import ProxyACME
import Logging
import NIOConcurrencyHelpers
import ProxyConfig
import ProxyTLS


/// Keeps one ACME listener's certificate: orders the first one, renews it at two thirds of its
/// lifetime (with jitter), retries failures with capped exponential backoff, and hands every new
/// certificate to the server's swap path. The old certificate is served until then.
///
/// Ordering happens under `state_dir`'s lock: an instance that finds it taken waits, then reads
/// what the holder wrote instead of ordering again.
final class ACMEManager: Sendable {
    let listener: String
    let configuration: ACMEConfiguration
    let state: ACMEStateDirectory
    let schedule: ACMERenewalSchedule
    let challenges: ACMEChallengeTables
    let logger: Logger
    let metrics: ServerMetrics
    /// Swaps the listener's certificates for what is in `state_dir` now.
    let install: @Sendable (_ reason: String) async throws -> Void
    /// Tells the certificate inventory (`GET /certificates`) the renewal state of the served file.
    let report: @Sendable (_ state: CertificateRenewalState, _ certificatePath: String) -> Void
    private let renewal = NIOLockedValueBox(CertificateRenewalState())
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// Mirrors `state_dir/challenges` into the process's tables, for as long as the manager runs.
    private let mirrorTask = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// The `notAfter` of the certificate the listener serves (`nil`: the placeholder).
    private let installed: NIOLockedValueBox<Int64?>
    /// Challenges written by another instance, mirrored into our tables while we wait.
    private let mirrored = NIOLockedValueBox<[ACMEOrderFlow.Challenge]>([])
    let shared: ACMESharedChallenges

    init(
        listener: String,
        configuration: ACMEConfiguration,
        challenges: ACMEChallengeTables,
        servedNotAfter: Int64?,
        logger: Logger,
        metrics: ServerMetrics,
        install: @escaping @Sendable (_ reason: String) async throws -> Void,
        report: @escaping @Sendable (_ state: CertificateRenewalState, _ certificatePath: String) -> Void
    ) {
        self.listener = listener
        self.configuration = configuration
        self.state = ACMEStateDirectory(path: configuration.stateDirectory, domains: configuration.domains)
        self.schedule = ACMERenewalSchedule(retryInitial: configuration.retryInitial, retryMax: configuration.retryMax)
        self.challenges = challenges
        self.logger = logger
        self.metrics = metrics
        self.install = install
        self.report = report
        self.installed = NIOLockedValueBox(servedNotAfter)
        self.shared = ACMESharedChallenges(stateDirectory: configuration.stateDirectory)
    }

    /// The renewal state reported to the inventory.
    var currentRenewalState: CertificateRenewalState { self.renewal.withLockedValue { $0 } }

    /// Changes the renewal state and reports it, for the file the listener serves now.
    private func updateRenewal(_ change: (inout CertificateRenewalState) -> Void) {
        let state = self.renewal.withLockedValue { state in
            change(&state)
            return state
        }
        let servesPlaceholder = self.installed.withLockedValue { $0 == nil }
        self.report(state, servesPlaceholder ? self.state.placeholderCertificatePath : self.state.certificatePath)
    }

    /// How often `state_dir/challenges` is read for challenges another instance published.
    static let mirrorInterval = Duration.milliseconds(250)
    /// How long the ordering instance waits after publishing a challenge before asking the CA
    /// to validate it: long enough for every instance sharing `state_dir` to have mirrored it.
    static let publishSettle = Duration.milliseconds(750)

    func start() {
        // Until the first attempt: renewal is due now (no certificate) or planned by `run`.
        self.updateRenewal { $0.nextRenewal = self.installed.withLockedValue { $0 } == nil ? Date() : nil }
        let task = Task { await self.run() }
        let mirror = Task {
            while !Task.isCancelled {
                self.mirrorSharedChallenges()
                try? await Task.sleep(for: Self.mirrorInterval)
            }
            self.withdrawMirroredChallenges()
        }
        self.task.withLockedValue { $0 = task }
        self.mirrorTask.withLockedValue { $0 = mirror }
    }

    func stop() {
        self.task.withLockedValue { $0?.cancel() }
        self.mirrorTask.withLockedValue { $0?.cancel() }
    }

    static func now() -> Int64 { Int64(time(nil)) }

    private var metadata: Logger.Metadata {
        ["listener": "\(self.listener)", "domains": "\(self.configuration.domains.joined(separator: ","))"]
    }

    private func run() async {
        var failures = 0
        var draw: (notAfter: Int64, random: Double) = (0, 0)
        while !Task.isCancelled {
            let now = Self.now()
            var due: Int64?
            if let current = self.state.currentCertificate(covering: self.configuration.domains, now: now) {
                if draw.notAfter != current.notAfter { draw = (current.notAfter, Double.random(in: 0..<1)) }
                let renewAt = self.schedule.renewalTime(notBefore: current.notBefore, notAfter: current.notAfter, random: draw.random)
                await self.installIfNew(current, reason: "acme certificate")
                self.updateRenewal { $0.nextRenewal = Date(timeIntervalSince1970: TimeInterval(renewAt)) }
                if now < renewAt {
                    // Wake at least hourly: another instance sharing state_dir may have renewed.
                    try? await Task.sleep(for: .seconds(min(renewAt - now, 3600)))
                    continue
                }
                due = current.notAfter
            }
            do {
                try await self.obtain(replacing: due)
                failures = 0
                self.updateRenewal {
                    $0.lastError = nil
                    $0.lastAttempt = Date()
                }
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                let delay = self.schedule.backoff(afterFailures: failures)
                self.metrics.acmeOrder(listener: self.listener, result: "failure")
                self.updateRenewal {
                    $0.lastError = "\(error)"
                    $0.lastAttempt = Date()
                    $0.nextRenewal = Date().addingTimeInterval(TimeInterval(delay.components.seconds))
                }
                self.logger.error(
                    "ACME order failed; retrying",
                    metadata: self.metadata.merging(["error": "\(error)", "retry_in": "\(delay)", "failures": "\(failures)"]) { $1 }
                )
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Takes the lock, then orders unless the certificate on disk changed meanwhile and is fresh
    /// (written by the instance that held the lock).
    ///
    /// - Parameter due: The `notAfter` of the certificate found due for renewal (`nil`: none yet).
    private func obtain(replacing due: Int64?) async throws {
        try self.state.prepare()
        var told = false
        let lock = try await ACMEDirectoryLock.acquire(self.state.lockPath) {
            if !told {
                told = true
                self.logger.info("waiting for the ACME lock of state_dir (another instance is ordering)", metadata: self.metadata)
            }
        }
        defer { lock.release() }
        let now = Self.now()
        if let current = self.state.currentCertificate(covering: self.configuration.domains, now: now), current.notAfter != due {
            let renewAt = self.schedule.renewalTime(notBefore: current.notBefore, notAfter: current.notAfter, random: 0)
            if now < renewAt {
                self.logger.info("picked up the certificate another instance wrote", metadata: self.metadata)
                return
            }
        }
        let started = ContinuousClock.now
        let directory = self.configuration.directory.description
        let client = try ACMEClient(
            directoryURL: directory,
            accountKey: try self.state.loadOrCreateAccountKey(),
            accountURL: self.state.accountURL(directory: directory),
            email: self.configuration.email,
            transport: ACMEClient.Transport(caRoots: self.configuration.caRoots, timeout: .seconds(30)),
            logger: self.logger
        )
        self.logger.info("ordering a certificate", metadata: self.metadata.merging(["challenge": "\(self.configuration.challenge.rawValue)"]) { $1 })
        let result: ACMEClient.Result
        do {
            defer {
                if let account = client.accountURL, account != self.state.accountURL(directory: directory) {
                    try? self.state.saveAccountURL(account, directory: directory)
                }
            }
            result = try await client.order(
                domains: self.configuration.domains,
                challengeType: self.configuration.challenge.rawValue,
                publisher: self.publisher
            )
        }
        try self.state.saveCertificate(chainPEM: result.certificatePEM, privateKeyPEM: result.privateKeyPEM)
        let elapsed = ContinuousClock.now - started
        self.metrics.acmeOrder(listener: self.listener, result: "success")
        self.logger.info(
            "ACME certificate issued",
            metadata: self.metadata.merging(["elapsed": "\(elapsed)", "requests": "\(client.requestCount)"]) { $1 }
        )
    }

    /// Our tables plus `state_dir/challenges`, so instances sharing the directory answer too.
    private var publisher: ACMEClient.Publisher {
        let local = self.challenges.publisher
        let shared = self.shared
        return ACMEClient.Publisher(
            publish: { challenge in
                try local.publish(challenge)
                try shared.write(challenge)
            },
            withdraw: { challenge in
                local.withdraw(challenge)
                shared.remove(challenge)
            },
            settle: Self.publishSettle
        )
    }

    /// Publishes the challenges another instance wrote, withdraws those it removed. (Our own
    /// appear here too while we order: publishing them again changes nothing.)
    private func mirrorSharedChallenges() {
        let current = self.shared.read()
        let local = self.challenges.publisher
        let (added, removed) = self.mirrored.withLockedValue { mirrored in
            let added = current.filter { !mirrored.contains($0) }
            let removed = mirrored.filter { !current.contains($0) }
            mirrored = current
            return (added, removed)
        }
        for challenge in removed { local.withdraw(challenge) }
        for challenge in added {
            do {
                try local.publish(challenge)
            } catch {
                self.logger.warning("cannot answer a challenge of another instance", metadata: ["error": "\(error)"])
            }
        }
    }

    private func withdrawMirroredChallenges() {
        let local = self.challenges.publisher
        let mirrored = self.mirrored.withLockedValue { mirrored in
            defer { mirrored = [] }
            return mirrored
        }
        for challenge in mirrored { local.withdraw(challenge) }
    }

    /// Swaps in `state_dir`'s certificate unless the listener serves it already. A failed swap
    /// (a broken file) keeps the old certificate; the next look tries again.
    private func installIfNew(_ current: ACMECertificateValidity, reason: String) async {
        guard self.installed.withLockedValue({ $0 != current.notAfter }) else { return }
        do {
            try await self.install(reason)
            self.installed.withLockedValue { $0 = current.notAfter }
        } catch {
            self.logger.error("cannot serve the ACME certificate", metadata: self.metadata.merging(["error": "\(error)"]) { $1 })
        }
    }
}
