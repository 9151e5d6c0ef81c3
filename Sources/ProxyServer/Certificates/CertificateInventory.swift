import Foundation
import NIOConcurrencyHelpers
import ProxyTLS

/// What the server knows about its certificates beyond their files: the last refresh of each
/// listener, each certificate's OCSP staple, and the renewal state a certificate manager (ACME)
/// reports. Read by `GET /certificates` and the certificate metrics.
///
/// Thread-safe; never on the request path.
final class CertificateInventory: Sendable {
    /// The last time a listener's certificates were read again outside a reload.
    struct Refresh: Sendable, Equatable {
        var at: Date
        var reason: String
        /// `nil` when it succeeded.
        var error: String?
        /// The file the error names.
        var file: String?
    }

    /// The OCSP staple of one certificate (by fingerprint).
    struct Staple: Sendable, Equatable {
        var responder: String?
        /// The response stapled now (its check), `nil` when none.
        var current: OCSPResponseCheck?
        /// When the stapled response was fetched (or loaded from its cache file).
        var fetchedAt: Date?
        var lastError: String?
        var lastAttempt: Date?
        var nextFetch: Date?
    }

    private struct State {
        var refreshes: [String: Refresh] = [:]
        var staples: [String: Staple] = [:]
        /// By listener name, then certificate path.
        var renewals: [String: [String: CertificateRenewalState]] = [:]
    }

    private let state = NIOLockedValueBox(State())

    func recordRefresh(_ refresh: Refresh, listener: String) {
        self.state.withLockedValue { $0.refreshes[listener] = refresh }
    }

    func refresh(of listener: String) -> Refresh? {
        self.state.withLockedValue { $0.refreshes[listener] }
    }

    func updateStaple(_ fingerprint: String, _ body: (inout Staple) -> Void) {
        self.state.withLockedValue { state in
            var staple = state.staples[fingerprint] ?? Staple()
            body(&staple)
            state.staples[fingerprint] = staple
        }
    }

    func staple(of fingerprint: String) -> Staple? {
        self.state.withLockedValue { $0.staples[fingerprint] }
    }

    /// Forgets the staples of certificates no longer served.
    func keepStaples(_ fingerprints: Set<String>) {
        self.state.withLockedValue { state in
            state.staples = state.staples.filter { fingerprints.contains($0.key) }
        }
    }

    func recordRenewal(_ renewal: CertificateRenewalState?, listener: String, certificatePath: String) {
        self.state.withLockedValue { state in
            state.renewals[listener, default: [:]][certificatePath] = renewal
        }
    }

    func renewal(listener: String, certificatePath: String) -> CertificateRenewalState? {
        self.state.withLockedValue { $0.renewals[listener]?[certificatePath] }
    }
}
