import NIOHTTP1
import ProxyAuth
import ProxyCore

/// `auth.api_key`: the key in a request field, checked against the keys file's SHA-256 digests
/// (ProxyAuth's ``APIKeySet``, constant time).
struct APIKeyAuthenticator: RequestAuthenticator {
    let header: String
    let keys: APIKeySet

    func authenticate(_ fields: HTTPHeaders, now: Int64) -> Authentication {
        let challenge = PolicyRefusal.Field("WWW-Authenticate", "APIKey header=\"\(self.header)\"")
        guard let presented = fields.first(name: self.header), !presented.isEmpty else {
            return .refused(PolicyRefusal(status: .unauthorized, reason: "auth_missing", detail: "no API key in \(self.header)", fields: [challenge]))
        }
        guard self.keys.match(presented) != nil else {
            return .refused(PolicyRefusal(status: .unauthorized, reason: "auth_failed", detail: "unknown API key", fields: [challenge]))
        }
        return .passed(claims: [:], fields: [])
    }
}
