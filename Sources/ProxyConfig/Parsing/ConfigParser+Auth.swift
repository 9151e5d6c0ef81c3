import ProxyAuth

/// `routes[].auth` (docs/security.md). The key and JWKS files are read and checked here, so
/// `check` reports a file that cannot be used, with its problems.
extension ConfigParser {
    mutating func auth(_ node: ConfigNode, key: String) -> AuthConfiguration? {
        let methods = ["api_key", "jwt", "basic", "forward"]
        guard let fields = self.fields(of: node, key: key, allowed: methods + ["forward_credentials"]) else { return nil }
        let given = methods.filter { fields[$0] != nil }
        guard given.count == 1, let name = given.first, let methodNode = fields[name] else {
            self.problems.report(key, at: node, "needs exactly one method: api_key, jwt, basic or forward (got \(given.isEmpty ? "none" : given.joined(separator: ", ")))")
            return nil
        }
        var forwardCredentials = false
        if let node = fields["forward_credentials"], let value = self.bool(node, key: fields.key("forward_credentials")) {
            forwardCredentials = value
        }
        let methodKey = fields.key(name)
        switch name {
        case "api_key":
            guard let method = self.apiKey(methodNode, key: methodKey) else { return nil }
            return AuthConfiguration(method: method, forwardCredentials: forwardCredentials)
        case "jwt":
            guard let jwt = self.jwt(methodNode, key: methodKey) else { return nil }
            return AuthConfiguration(method: .jwt(jwt), forwardCredentials: forwardCredentials)
        case "basic":
            guard let method = self.basic(methodNode, key: methodKey) else { return nil }
            return AuthConfiguration(method: method, forwardCredentials: forwardCredentials)
        default:
            guard let method = self.forwardAuth(methodNode, key: methodKey) else { return nil }
            return AuthConfiguration(method: method, forwardCredentials: forwardCredentials)
        }
    }

    private mutating func basic(_ node: ConfigNode, key: String) -> AuthConfiguration.Method? {
        guard let fields = self.fields(of: node, key: key, allowed: ["users_file", "realm"]) else { return nil }
        var realm = "portcullis"
        if let node = fields["realm"], let text = self.string(node, key: fields.key("realm")) {
            guard HTTPSyntax.isValidFieldValue(text), !text.contains("\"") else {
                self.problems.report(fields.key("realm"), at: node, "must be printable ASCII without quotes")
                return nil
            }
            realm = text
        }
        guard let fileNode = fields["users_file"] else {
            self.reportMissing("users_file", in: fields, " (an htpasswd file: htpasswd -B -c FILE USER)")
            return nil
        }
        guard let path = self.authFile(fileNode, key: fields.key("users_file"), load: { text throws(AuthLoadError) in _ = try HtpasswdFile(parsing: text) }) else {
            return nil
        }
        return .basic(usersFile: path, realm: realm)
    }

    private mutating func forwardAuth(_ node: ConfigNode, key: String) -> AuthConfiguration.Method? {
        guard let fields = self.fields(of: node, key: key, allowed: ["url", "copy_headers", "timeout"]) else { return nil }
        var timeout = Duration.seconds(5)
        if let node = fields["timeout"], let value = self.duration(node, key: fields.key("timeout"), in: .milliseconds(10)...Duration.seconds(60)) {
            timeout = value
        }
        var copyHeaders: [String] = []
        if let node = fields["copy_headers"], let items = self.list(node, key: fields.key("copy_headers")) {
            for (index, item) in items.enumerated() {
                let itemKey = "\(fields.key("copy_headers"))[\(index)]"
                guard let name = self.string(item, key: itemKey) else { continue }
                guard HTTPSyntax.isValidFieldName(name), !HeaderTemplateSyntax.ownedNames.contains(name.lowercased()) else {
                    self.problems.report(itemKey, at: item, "\"\(name)\" is not a header name that can be copied")
                    continue
                }
                copyHeaders.append(name)
            }
        }
        guard let urlNode = fields["url"] else {
            self.reportMissing("url", in: fields, " (such as http://127.0.0.1:9000/auth)")
            return nil
        }
        guard let text = self.string(urlNode, key: fields.key("url")) else { return nil }
        switch WebhookURLSyntax.parse(text) {
        case .success(let url):
            return .forward(url: url, copyHeaders: copyHeaders, timeout: timeout)
        case .failure(let problem):
            self.problems.report(fields.key("url"), at: urlNode, "the auth service is asked over plain http, such as http://127.0.0.1:9000/auth: \(problem.message)")
            return nil
        }
    }

    private mutating func apiKey(_ node: ConfigNode, key: String) -> AuthConfiguration.Method? {
        guard let fields = self.fields(of: node, key: key, allowed: ["header", "keys_file"]) else { return nil }
        var header = "X-API-Key"
        if let node = fields["header"], let text = self.string(node, key: fields.key("header")) {
            guard HTTPSyntax.isValidFieldName(text), !HeaderTemplateSyntax.ownedNames.contains(text.lowercased()) else {
                self.problems.report(fields.key("header"), at: node, "\"\(text)\" is not a header name an API key can come in")
                return nil
            }
            header = text
        }
        guard let fileNode = fields["keys_file"] else {
            self.reportMissing("keys_file", in: fields, " (SHA-256 hex digests of the keys, one per line)")
            return nil
        }
        guard let path = self.authFile(fileNode, key: fields.key("keys_file"), load: { text throws(AuthLoadError) in _ = try APIKeySet(parsing: text) }) else {
            return nil
        }
        return .apiKey(header: header, keysFile: path)
    }

    private mutating func jwt(_ node: ConfigNode, key: String) -> JWTAuthConfiguration? {
        let allowed = ["jwks_file", "issuer", "audience", "algorithms", "leeway", "claims_to_headers"]
        guard let fields = self.fields(of: node, key: key, allowed: allowed) else { return nil }
        var jwt = JWTAuthConfiguration(jwksFile: "")
        if let node = fields["issuer"], let text = self.string(node, key: fields.key("issuer")) { jwt.issuer = text }
        if let node = fields["audience"], let text = self.string(node, key: fields.key("audience")) { jwt.audience = text }
        if let node = fields["leeway"], let value = self.duration(node, key: fields.key("leeway"), allowsZero: true, in: .zero...Duration.seconds(3600)) {
            jwt.leeway = value
        }
        if let node = fields["algorithms"], let items = self.list(node, key: fields.key("algorithms")) {
            var algorithms: [String] = []
            for (index, item) in items.enumerated() {
                let itemKey = "\(fields.key("algorithms"))[\(index)]"
                guard let text = self.string(item, key: itemKey) else { continue }
                guard JWTAlgorithm(rawValue: text.uppercased()) != nil else {
                    let known = JWTAlgorithm.allCases.map(\.rawValue)
                    self.problems.report(itemKey, at: item, "unknown algorithm \"\(text)\" (known: \(known.joined(separator: ", ")); none and HS* are never accepted)")
                    continue
                }
                algorithms.append(text.uppercased())
            }
            if items.isEmpty { self.problems.report(fields.key("algorithms"), at: node, "needs at least one algorithm, such as ES256") }
            jwt.algorithms = algorithms
        }
        if let node = fields["claims_to_headers"], !node.isNull {
            if case .mapping(let entries) = node.content {
                for entry in entries {
                    guard let claim = entry.key.scalar?.text, let header = entry.value.scalar?.text, !entry.value.isNull else { continue }
                    let entryKey = "\(fields.key("claims_to_headers")).\(claim)"
                    guard HTTPSyntax.isValidFieldName(header), !HeaderTemplateSyntax.ownedNames.contains(header.lowercased()) else {
                        self.problems.report(entryKey, at: entry.value, "\"\(header)\" is not a header name a claim can go in")
                        continue
                    }
                    jwt.claimsToHeaders.append(HeaderRulesConfiguration.Field(name: header, value: claim))
                }
            } else {
                self.problems.report(fields.key("claims_to_headers"), at: node, "expected a mapping of claim names to header names, such as {sub: X-User}")
            }
        }
        guard let fileNode = fields["jwks_file"] else {
            self.reportMissing("jwks_file", in: fields, " (a JSON Web Key Set with the issuer's public keys)")
            return nil
        }
        var settings = jwt.verifierSettings
        if settings.algorithms.isEmpty {
            settings.algorithms = JWTVerifier.Settings().algorithms  // the list's own problems are reported above
        }
        guard let path = self.authFile(fileNode, key: fields.key("jwks_file"), load: { text throws(AuthLoadError) in _ = try JWTVerifier(jwks: text, settings: settings) }) else {
            return nil
        }
        jwt.jwksFile = path
        return jwt
    }

    /// Resolves a key or JWKS file and, when files are checked, reads it and runs `load` on it:
    /// each of its problems is reported at the key.
    private mutating func authFile(_ node: ConfigNode, key: String, load: (String) throws(AuthLoadError) -> Void) -> String? {
        guard let path = self.string(node, key: key) else { return nil }
        let resolved = FilePaths.resolve(path, relativeTo: self.baseDirectory)
        guard self.checkFilesExist else { return resolved }
        let text: String
        switch FilePaths.read(resolved) {
        case .success(let contents): text = contents
        case .failure(let problem):
            self.problems.report(key, at: node, problem.message)
            return nil
        }
        do {
            try load(text)
        } catch {
            for problem in error.problems {
                self.problems.report(key, at: node, "\(resolved): \(problem)")
            }
            return nil
        }
        return resolved
    }
}
