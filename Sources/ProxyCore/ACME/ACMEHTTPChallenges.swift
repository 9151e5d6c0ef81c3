import NIOConcurrencyHelpers

/// The pending HTTP-01 challenges (RFC 8555 §8.3) of the process: token → key authorization.
///
/// One table per process, shared by every plain listener: a request for
/// `/.well-known/acme-challenge/<token>` is answered from it before any route, before the edge
/// policy and before a redirect to HTTPS, with the key authorization as `text/plain`, or `404`
/// for a token it does not hold. The ACME client adds a token while its authorization is pending
/// and removes it after. Thread-safe.
public final class ACMEHTTPChallenges: Sendable {
    /// The path prefix the CA asks under.
    public static let pathPrefix = "/.well-known/acme-challenge/"

    private let tokens = NIOLockedValueBox([String: String]())

    public init() {}

    public func add(token: String, keyAuthorization: String) {
        self.tokens.withLockedValue { $0[token] = keyAuthorization }
    }

    public func remove(token: String) {
        _ = self.tokens.withLockedValue { $0.removeValue(forKey: token) }
    }

    /// The key authorization for a request target, or `nil` when the target is not a challenge
    /// path or names an unknown token. The target's query, if any, is ignored.
    public func keyAuthorization(forTarget target: String) -> String? {
        guard let token = Self.token(inTarget: target) else { return nil }
        return self.tokens.withLockedValue { $0[token] }
    }

    /// Whether `target` asks for a challenge token (answered here, known or not).
    public static func isChallengeTarget(_ target: String) -> Bool {
        target.hasPrefix(Self.pathPrefix)
    }

    static func token(inTarget target: String) -> String? {
        guard target.hasPrefix(Self.pathPrefix) else { return nil }
        let token = target.dropFirst(Self.pathPrefix.count).prefix { $0 != "?" }
        // RFC 8555 §8.1: a token is base64url, so anything else (a slash, dots) is no token.
        guard !token.isEmpty, token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return nil
        }
        return String(token)
    }
}
