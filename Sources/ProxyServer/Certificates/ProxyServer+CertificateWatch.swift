import Logging
import NIOConcurrencyHelpers
import ProxyConfig
import ProxyDefaults
import ProxyTLS

extension ProxyServer {
    /// Starts polling every watched certificate and key file (`listeners[].tls.watch_files`,
    /// decision 0020). The watch set is read from the configuration in effect at each poll, so
    /// it follows reloads.
    func startCertificateWatch() {
        var baseline = CertificateWatchState(
            settlePolls: Defaults.CertificateRuntime.settlePolls,
            retries: Defaults.CertificateRuntime.refreshRetries
        )
        // The files as they are now (just read by start): a change from here on is seen.
        _ = baseline.poll(Self.observeWatchedFiles(of: self.configuration))
        let task = Task { [weak self, baseline] in
            var watch = baseline
            while !Task.isCancelled {
                try? await Task.sleep(for: Defaults.CertificateRuntime.watchInterval)
                guard let self, !Task.isCancelled else { return }
                let observations = Self.observeWatchedFiles(of: self.configuration)
                for listener in watch.poll(observations) {
                    do {
                        try await self.refreshCertificates(listener: listener, reason: "file changed")
                        watch.refreshSucceeded(listener)
                    } catch let error as CertificateRefreshError {
                        if case .invalid = error, watch.refreshFailed(listener) {
                            self.logger.warning(
                                "changed certificate files are not usable yet; trying again",
                                metadata: ["listener": "\(listener)", "file": "\(error.file ?? "-")"]
                            )
                        }
                    } catch {
                        self.logger.error("certificate refresh failed", metadata: ["listener": "\(listener)", "error": "\(error)"])
                    }
                }
            }
        }
        let previous = self.state.withLockedValue { state in
            defer { state.certificateWatch = task }
            return state.certificateWatch
        }
        previous?.cancel()
    }

    func stopCertificateWatch() {
        self.state.withLockedValue { state in
            state.certificateWatch?.cancel()
            state.certificateWatch = nil
        }
    }

    /// The signatures of every watched file now, by listener.
    static func observeWatchedFiles(of configuration: ProxyConfiguration) -> [String: CertificateWatchState.Observation] {
        Self.watchedFiles(of: configuration).mapValues { paths in
            var observation: CertificateWatchState.Observation = [:]
            for path in paths { observation[path] = FileSignature.of(path) }
            return observation
        }
    }

    /// The certificate and key files each watched listener serves, from the one mapping of
    /// listener configuration to TLS settings.
    static func watchedFiles(of configuration: ProxyConfiguration) -> [String: [String]] {
        var files: [String: [String]] = [:]
        for listener in configuration.listeners where listener.tls?.watchFiles == true {
            guard let tls = ListenerPlan.tlsConfiguration(for: listener) else { continue }
            files[listener.name] = tls.certificates.flatMap { [$0.certificatePath, $0.privateKeyPath] }
        }
        return files
    }
}
