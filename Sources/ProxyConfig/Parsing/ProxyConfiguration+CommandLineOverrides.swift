extension ProxyConfiguration {
    /// This configuration with the command-line options applied.
    ///
    /// - `--listen`: the n-th value replaces the n-th listener's bind. An `http://` or `https://`
    ///   prefix also sets the listener's protocol; switching to http drops its TLS settings.
    /// - `--to`: the values replace the targets of the target group that the first listener's
    ///   default route (``ListenerConfiguration/defaultRoute``) forwards to. `:3000` means
    ///   `127.0.0.1:3000`.
    /// - `--cert` and `--key`: together replace the first listener's certificates with one pair,
    ///   resolved against the current directory. The files must be readable.
    /// - `--event-loops`: replaces `global.event_loops`.
    /// - `--policy`, `--health-path`, `--health-interval`: change the policy and health check of
    ///   the same target group as `--to`. `--health-path` also makes the check an enabled `http`
    ///   check. `--health-interval` brings a default timeout along: at most half the interval.
    ///
    /// - Throws: ``ConfigValidationError`` whose diagnostics have file `<command line>` and the
    ///   option as key, such as `<command line>: --key: --cert needs --key`.
    public func applying(_ overrides: CommandLineOverrides) throws(ConfigValidationError) -> ProxyConfiguration {
        var result = self
        var problems = DiagnosticCollector(file: "<command line>")
        func report(_ option: String, _ message: String) {
            problems.report(option, line: 0, column: 0, message)
        }

        if let count = overrides.eventLoops {
            if (1...1024).contains(count) {
                result.global.eventLoops = .fixed(count)
            } else {
                report("--event-loops", "must be in 1...1024 (got \(count))")
            }
        }

        if overrides.listen.count > result.listeners.count {
            report(
                "--listen",
                "given \(overrides.listen.count) times, but the configuration has \(result.listeners.count) listener(s)"
            )
        }
        var changedBinds: [Int] = []
        for (index, value) in zip(result.listeners.indices, overrides.listen) {
            switch Self.listenAddress(value) {
            case .success(let (listenerProtocol, bind)):
                result.listeners[index].bind = bind
                changedBinds.append(index)
                if let listenerProtocol {
                    result.listeners[index].protocol = listenerProtocol
                    if listenerProtocol == .http {
                        result.listeners[index].tls = nil
                    }
                }
            case .failure(let problem):
                report("--listen", problem.message)
            }
        }

        switch (overrides.certificate, overrides.privateKey) {
        case (nil, nil):
            break
        case (_?, nil):
            report("--key", "--cert needs --key (the private key of the certificate)")
        case (nil, _?):
            report("--cert", "--key needs --cert (the certificate chain for the key)")
        case (let certificate?, let privateKey?):
            let certificatePath = FilePaths.resolve(certificate, relativeTo: FilePaths.currentDirectory)
            let privateKeyPath = FilePaths.resolve(privateKey, relativeTo: FilePaths.currentDirectory)
            for (option, path) in [("--cert", certificatePath), ("--key", privateKeyPath)] {
                if let problem = FilePaths.readProblem(path) {
                    report(option, problem)
                }
            }
            if let first = result.listeners.first, first.protocol == .http {
                report(
                    "--cert",
                    "the first listener \"\(first.name)\" is http; use --listen https://host:port to serve https"
                )
            } else if !result.listeners.isEmpty {
                var tls = result.listeners[0].tls ?? ListenerTLS(certificates: [])
                tls.certificates = [CertificatePair(certificatePath: certificatePath, privateKeyPath: privateKeyPath)]
                result.listeners[0].tls = tls
            }
        }

        for listener in result.listeners where listener.protocol == .https && listener.tls?.certificates.isEmpty ?? true
        {
            report(
                "--listen",
                "listener \"\(listener.name)\" is now https but has no certificates; add --cert and --key"
            )
        }

        for index in changedBinds {
            let listener = result.listeners[index]
            for other in result.listeners where other.name != listener.name {
                switch BindConflicts.conflict(other.bind, listener.bind) {
                case .same?:
                    report("--listen", "listener \"\(other.name)\" already binds \(listener.bind)")
                case .overlap?:
                    report("--listen", "bind \(listener.bind) overlaps listener \"\(other.name)\" (\(other.bind))")
                case nil:
                    break
                }
            }
        }

        if !overrides.to.isEmpty, let groupIndex = result.defaultTargetGroupIndex(option: "--to", report: report) {
            result.targetGroups[groupIndex].targets = Self.targets(overrides.to, report: report)
        }

        let groupOptions: [(option: String, value: String?)] = [
            ("--policy", overrides.policy), ("--health-path", overrides.healthPath),
            ("--health-interval", overrides.healthInterval),
        ]
        if let option = groupOptions.first(where: { $0.value != nil })?.option,
            let groupIndex = result.defaultTargetGroupIndex(option: option, report: report)
        {
            result.targetGroups[groupIndex].apply(overrides, report: report)
        }

        guard !problems.hasErrors else {
            throw ConfigValidationError(diagnostics: problems.errors)
        }
        return result
    }

    /// The index of the target group that the first listener's default route forwards to.
    private func defaultTargetGroupIndex(option: String, report: (String, String) -> Void) -> Int? {
        guard let route = self.listeners.first?.defaultRoute,
            let groupIndex = self.targetGroups.firstIndex(where: { $0.name == route.targetGroup })
        else {
            report(option, "the first listener has no route to a target group")
            return nil
        }
        return groupIndex
    }

    /// The `--to` values as targets named `t1`, `t2`, … in order. A value without a host
    /// (`:3000`) means this machine, ``Defaults/Target/localHost``.
    private static func targets(_ values: [String], report: (String, String) -> Void) -> [TargetConfiguration] {
        var targets: [TargetConfiguration] = []
        for (index, value) in values.enumerated() {
            var text = Substring(value)
            if text.lowercased().hasPrefix("http://") {
                text = text.dropFirst("http://".count)
            }
            if text.hasSuffix("/") {
                text = text.dropLast()
            }
            switch AddressSyntax.parseTarget(String(text)) {
            case .success(let address):
                if targets.contains(where: { $0.host == address.host && $0.port == address.port }) {
                    report("--to", "duplicate target \(address)")
                } else {
                    let name = TargetConfiguration.defaultName(position: index + 1)
                    targets.append(TargetConfiguration(host: address.host, port: address.port, name: name))
                }
            case .failure(let problem):
                report("--to", problem.message)
            }
        }
        return targets
    }

    /// Parses `host:port`, `http://host:port` or `https://host:port`.
    private static func listenAddress(_ value: String) -> Result<(ListenerProtocol?, BindAddress), SyntaxProblem> {
        var text = Substring(value)
        var listenerProtocol: ListenerProtocol?
        if let schemeEnd = text.firstRange(of: "://") {
            let scheme = text[..<schemeEnd.lowerBound].lowercased()
            guard let parsed = ListenerProtocol(rawValue: scheme) else {
                return .failure(
                    SyntaxProblem("unsupported scheme \"\(scheme)\" in \"\(value)\" (expected http:// or https://)")
                )
            }
            listenerProtocol = parsed
            text = text[schemeEnd.upperBound...]
        }
        if text.hasSuffix("/") {
            text = text.dropLast()
        }
        return AddressSyntax.parse(String(text), allowsWildcard: true)
            .map { (listenerProtocol, $0) }
            .mapError { SyntaxProblem("\($0.message) in \"\(value)\"") }
    }
}

extension TargetGroupConfiguration {
    /// Applies `--policy`, `--health-path` and `--health-interval`.
    fileprivate mutating func apply(_ overrides: CommandLineOverrides, report: (String, String) -> Void) {
        if let text = overrides.policy {
            if let policy = BalancingPolicyName(rawValue: text) {
                self.policy = policy
            } else {
                let names = BalancingPolicyName.allCases.map(\.rawValue)
                let hint =
                    Suggestion.closest(to: text, in: names).map { "did you mean \"\($0)\"?" }
                    ?? "expected one of: \(names.joined(separator: ", "))"
                report("--policy", "unknown policy \"\(text)\" (\(hint))")
            }
        }
        if let path = overrides.healthPath {
            if !HTTPSyntax.isValidRequestPath(path) {
                report("--health-path", HTTPSyntax.requestPathProblem(path))
            } else {
                self.healthCheck.enabled = true
                self.healthCheck.protocol = .http
                self.healthCheck.path = path
            }
        }
        if let text = overrides.healthInterval {
            let range = Duration.seconds(1)...Duration.seconds(3600)
            if let interval = DurationSyntax.parse(text) {
                if !range.contains(interval) {
                    report("--health-interval", "must be in 1s...1h (got \(text))")
                } else if self.healthCheck.timeout == HealthCheckConfiguration.defaultTimeout {
                    // A timeout at its default (left out of the file, or written as 5s) follows
                    // the interval, so that `--health-interval 1s` works without a timeout option.
                    self.healthCheck.interval = interval
                    self.healthCheck.timeout = min(HealthCheckConfiguration.defaultTimeout, interval / 2)
                } else if interval <= self.healthCheck.timeout {
                    report(
                        "--health-interval",
                        "must be longer than the health check timeout of target group \"\(self.name)\" (\(DurationSyntax.format(self.healthCheck.timeout))); got \(text)"
                    )
                } else {
                    self.healthCheck.interval = interval
                }
            } else {
                report("--health-interval", "invalid duration \"\(text)\" (\(DurationSyntax.expectation))")
            }
        }
    }
}
