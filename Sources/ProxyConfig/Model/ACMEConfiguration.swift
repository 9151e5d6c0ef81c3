public import ProxyDefaults

/// The `acme` block of an HTTPS listener's `tls`: get, serve and renew the listener's
/// certificate from an ACME (RFC 8555) certificate authority.
///
/// Configuration keys:
/// - `directory` (`https://` URL, required): the CA's directory, such as Let's Encrypt's
///   `https://acme-v02.api.letsencrypt.org/directory` (staging:
///   `https://acme-staging-v02.api.letsencrypt.org/directory`).
/// - `email` (string, optional): the account's contact (`mailto:`); the CA's expiry notices go there.
/// - `domains` (list of DNS names, default: the exact `host` names of the listener's routes):
///   the names of the certificate. Wildcards need DNS-01, which we don't do, so they are refused.
/// - `challenge` (`http-01` or `tls-alpn-01`, default `http-01`): how the CA checks we control a
///   name. `http-01` needs a plain listener on port 80 (the CA connects there);
///   `tls-alpn-01` is answered by this listener itself and needs it on port 443.
/// - `ca_roots` (path, optional): PEM roots trusted for the directory's HTTPS (a private CA such
///   as pebble); the system's are used when absent.
/// - `state_dir` (path, default `/var/lib/portcullis/acme`): the account key, the certificates and
///   the lock; may be shared by several instances.
/// - `retry_initial` / `retry_max` (durations, default `30s` / `1h`): the backoff after a failed
///   order, doubling from `retry_initial` up to `retry_max`.
public struct ACMEConfiguration: Sendable, Equatable {
    public enum Challenge: String, Sendable, CaseIterable {
        case http01 = "http-01"
        case tlsALPN01 = "tls-alpn-01"
    }

    public var directory: ACMEDirectoryURL
    public var email: String?
    /// Never empty after validation.
    public var domains: [String]
    /// Whether ``domains`` came from the listener's routes (no `domains` key).
    public var domainsFromRoutes: Bool
    public var challenge: Challenge
    /// Absolute path, or `nil` for the system's roots.
    public var caRoots: String?
    /// Absolute path.
    public var stateDirectory: String
    public var retryInitial: Duration
    public var retryMax: Duration

    public init(
        directory: ACMEDirectoryURL,
        email: String? = nil,
        domains: [String] = [],
        domainsFromRoutes: Bool = false,
        challenge: Challenge = .http01,
        caRoots: String? = nil,
        stateDirectory: String = Defaults.ACME.stateDirectory,
        retryInitial: Duration = Defaults.ACME.retryInitial,
        retryMax: Duration = Defaults.ACME.retryMax
    ) {
        self.directory = directory
        self.email = email
        self.domains = domains
        self.domainsFromRoutes = domainsFromRoutes
        self.challenge = challenge
        self.caRoots = caRoots
        self.stateDirectory = stateDirectory
        self.retryInitial = retryInitial
        self.retryMax = retryMax
    }
}

/// An ACME directory URL: `https://host[:port]/path`.
public struct ACMEDirectoryURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var path: String

    public init(host: String, port: Int = 443, path: String = "/") {
        self.host = host
        self.port = port
        self.path = path
    }

    /// Parses `https://host[:port][/path]`; `nil` for anything else (plain `http` included).
    public init?(_ text: String) {
        guard text.hasPrefix("https://") else { return nil }
        let rest = text.dropFirst("https://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        switch AddressSyntax.parse(String(authority), allowsWildcard: false) {
        case .success(let address):
            self.init(host: address.host, port: address.port, path: path.isEmpty ? "/" : String(path))
        case .failure:
            guard !authority.contains(":"), authority.allSatisfy({ $0.isLetter || $0.isNumber || "-.".contains($0) }) else {
                return nil
            }
            self.init(host: String(authority), port: 443, path: path.isEmpty ? "/" : String(path))
        }
    }

    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port == 443 ? "https://\(host)\(self.path)" : "https://\(host):\(self.port)\(self.path)"
    }
}
