extension ProxyConfiguration {
    /// This configuration with the command-line options applied.
    ///
    /// - `--listen`: the n-th value replaces the n-th listener's bind. An `http://` or `https://`
    ///   prefix also sets the listener's protocol; switching to http drops its TLS settings.
    /// - `--to`: the values replace the targets of the target group that the first listener's
    ///   default route (``ListenerConfiguration/defaultRoute``) forwards to.
    /// - `--cert` and `--key`: together replace the first listener's certificates with one pair,
    ///   resolved against the current directory. The files must be readable.
    /// - `--event-loops`: replaces `global.event_loops`.
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

        if !overrides.to.isEmpty {
            result.applyTargets(overrides.to, report: report)
        }

        guard !problems.hasErrors else {
            throw ConfigValidationError(diagnostics: problems.errors)
        }
        return result
    }

    private mutating func applyTargets(_ values: [String], report: (String, String) -> Void) {
        guard let route = self.listeners.first?.defaultRoute,
            let groupIndex = self.targetGroups.firstIndex(where: { $0.name == route.targetGroup })
        else {
            report("--to", "the first listener has no route to a target group")
            return
        }
        var targets: [TargetConfiguration] = []
        for value in values {
            var text = Substring(value)
            if text.lowercased().hasPrefix("http://") {
                text = text.dropFirst("http://".count)
            }
            if text.hasSuffix("/") {
                text = text.dropLast()
            }
            switch AddressSyntax.parse(String(text), allowsWildcard: false) {
            case .success(let address):
                let target = TargetConfiguration(host: address.host, port: address.port)
                if targets.contains(target) {
                    report("--to", "duplicate target \(target)")
                } else {
                    targets.append(target)
                }
            case .failure(let problem):
                report("--to", problem.message)
            }
        }
        self.targetGroups[groupIndex].targets = targets
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
