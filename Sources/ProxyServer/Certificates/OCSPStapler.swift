import CoreMetrics
import Foundation
import Logging
import NIOConcurrencyHelpers
import ProxyDefaults
import ProxyTLS

/// Keeps a current OCSP response stapled for every served certificate whose leaf names an
/// OCSP responder (`listeners[].tls.ocsp_stapling`, docs/tls.md).
///
/// One task per certificate (by fingerprint): it loads `<cert>.ocsp` if that still holds a
/// valid response, fetches from the responder over plain HTTP (POST, RFC 6960 appendix A),
/// checks the answer against the issuer, publishes it in the ``TLSStapleStore`` the handshake
/// callback reads, writes the cache file (atomically), and sleeps until halfway through the
/// response's validity. A failed fetch keeps the last good response until it expires and is
/// retried with back-off. Nothing here runs on an event loop or blocks a handshake.
final class OCSPStapler: Sendable {
    private let staples: TLSStapleStore
    private let inventory: CertificateInventory
    private let metrics: ServerMetrics
    private let logger: Logger
    private let schedule = OCSPSchedule(
        maximumRefresh: Double(Defaults.CertificateRuntime.ocspMaximumRefresh.components.seconds),
        retryInitial: Double(Defaults.CertificateRuntime.ocspRetryInitial.components.seconds),
        retryMaximum: Double(Defaults.CertificateRuntime.ocspRetryMaximum.components.seconds)
    )
    /// The running tasks, by certificate fingerprint.
    private let tasks = NIOLockedValueBox<[String: Task<Void, Never>]>([:])

    init(staples: TLSStapleStore, inventory: CertificateInventory, metrics: ServerMetrics, logger: Logger) {
        self.staples = staples
        self.inventory = inventory
        self.metrics = metrics
        self.logger = logger
    }

    /// Keeps staples for exactly these certificates: starts a task for each new one, stops
    /// those of certificates no longer served and forgets their staples.
    func follow(_ certificates: [TLSServedCertificate]) {
        var wanted: [String: TLSServedCertificate] = [:]
        for certificate in certificates where !certificate.ocspResponders.isEmpty {
            wanted[certificate.fingerprint] = certificate
        }
        let stopped = self.tasks.withLockedValue { tasks -> [Task<Void, Never>] in
            let gone = tasks.filter { wanted[$0.key] == nil }
            for fingerprint in gone.keys { tasks[fingerprint] = nil }
            for (fingerprint, certificate) in wanted where tasks[fingerprint] == nil {
                tasks[fingerprint] = Task { [self] in await self.keep(certificate) }
            }
            return Array(gone.values)
        }
        for task in stopped { task.cancel() }
        self.staples.keepOnly(Set(wanted.keys))
        self.inventory.keepStaples(Set(wanted.keys))
    }

    func stop() {
        let all = self.tasks.withLockedValue { tasks in
            defer { tasks = [:] }
            return Array(tasks.values)
        }
        for task in all { task.cancel() }
    }

    // MARK: One certificate

    private func keep(_ certificate: TLSServedCertificate) async {
        let fingerprint = certificate.fingerprint
        guard let responder = certificate.ocspResponders.first(where: { $0.lowercased().hasPrefix("http://") }) else {
            self.inventory.updateStaple(fingerprint) {
                $0.responder = certificate.ocspResponders.first
                $0.lastError = "no http:// OCSP responder (only \(certificate.ocspResponders.joined(separator: ", ")))"
            }
            return
        }
        self.inventory.updateStaple(fingerprint) { $0.responder = responder }
        let cachePath = certificate.source.certificatePath + ".ocsp"
        var held: (response: [UInt8], times: OCSPTimes)?
        if let cached = FileManager.default.contents(atPath: cachePath),
            let check = try? certificate.checkOCSPResponse(Array(cached)),
            self.schedule.isStapleable(Self.times(check), now: Self.now())
        {
            held = (Array(cached), Self.times(check))
            self.publish(Array(cached), check: check, fingerprint: fingerprint, fetchedAt: Date())
            self.logger.info("OCSP response loaded from cache", metadata: ["file": "\(cachePath)", "status": "\(check.status.rawValue)"])
        }
        var failures = 0
        var lastFailure: Double?
        while !Task.isCancelled {
            let now = Self.now()
            if let current = held, !self.schedule.isStapleable(current.times, now: now) {
                held = nil
                self.staples.setResponse(nil, for: fingerprint)
                self.inventory.updateStaple(fingerprint) { $0.current = nil }
                self.logger.warning("OCSP response expired; no longer stapled", metadata: ["certificate": "\(certificate.source.certificatePath)"])
            }
            switch self.schedule.next(held: held?.times, failures: failures, lastFailure: lastFailure, now: now) {
            case .wait(let until):
                var wake = until
                if let current = held { wake = min(wake, self.schedule.expiry(of: current.times)) }
                self.inventory.updateStaple(fingerprint) { $0.nextFetch = Date(timeIntervalSince1970: until) }
                try? await Task.sleep(for: .milliseconds(Int64(max(0.05, wake - now) * 1000)))
            case .fetch:
                self.inventory.updateStaple(fingerprint) { $0.lastAttempt = Date() }
                do {
                    let response = try await self.fetch(certificate, from: responder)
                    let check = try certificate.checkOCSPResponse(response)
                    held = (response, Self.times(check))
                    failures = 0
                    lastFailure = nil
                    self.publish(response, check: check, fingerprint: fingerprint, fetchedAt: Date())
                    self.metrics.counter("portcullis_ocsp_fetches_total", [("result", check.status.rawValue)]).increment()
                    self.write(response, to: cachePath)
                    self.logger.info(
                        "OCSP response fetched",
                        metadata: ["certificate": "\(certificate.source.certificatePath)", "status": "\(check.status.rawValue)"]
                    )
                } catch {
                    guard !Task.isCancelled else { return }
                    failures += 1
                    lastFailure = Self.now()
                    let message = "\(responder): \(error)"
                    self.inventory.updateStaple(fingerprint) { $0.lastError = message }
                    self.metrics.counter("portcullis_ocsp_fetches_total", [("result", "error")]).increment()
                    self.logger.warning(
                        "OCSP fetch failed; \(held == nil ? "nothing stapled" : "the last good response stays stapled")",
                        metadata: [
                            "certificate": "\(certificate.source.certificatePath)", "error": "\(message)",
                            "retry_in_seconds": "\(Int(self.schedule.retryDelay(afterFailures: failures)))",
                        ]
                    )
                }
            }
        }
    }

    private func publish(_ response: [UInt8], check: OCSPResponseCheck, fingerprint: String, fetchedAt: Date) {
        self.staples.setResponse(response, for: fingerprint)
        self.inventory.updateStaple(fingerprint) {
            $0.current = check
            $0.fetchedAt = fetchedAt
            $0.lastError = nil
        }
    }

    /// POSTs the certificate's OCSP request to `responder` and returns the response body.
    private func fetch(_ certificate: TLSServedCertificate, from responder: String) async throws -> [UInt8] {
        guard let url = URL(string: responder), let host = url.host, !host.isEmpty else {
            throw OCSPError("not a usable OCSP responder URL: \(responder)")
        }
        let request = try certificate.ocspRequest()
        let client = PlainHTTPClient(host: host, port: url.port ?? 80, timeout: Defaults.CertificateRuntime.ocspTimeout)
        let path = url.path.isEmpty ? "/" : url.path
        let response = try await client.request(
            "POST",
            path,
            headers: [("Content-Type", "application/ocsp-request"), ("Accept", "application/ocsp-response")],
            body: request
        )
        guard response.status == 200 else {
            throw OCSPError("the responder answered HTTP \(response.status)")
        }
        return response.body
    }

    /// Writes the cache file beside the certificate; a read-only directory only costs the cache.
    private func write(_ response: [UInt8], to path: String) {
        do {
            try Data(response).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            self.logger.notice("cannot write the OCSP cache file", metadata: ["file": "\(path)", "error": "\(error)"])
        }
    }

    private static func times(_ check: OCSPResponseCheck) -> OCSPTimes {
        OCSPTimes(thisUpdate: Double(check.thisUpdate), nextUpdate: check.nextUpdate.map(Double.init))
    }

    private static func now() -> Double { Date().timeIntervalSince1970 }
}
