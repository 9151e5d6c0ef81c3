import NIOHTTP1

/// The stickiness cookie of a target group: `NAME=<target>.<signature>`, the signature over
/// `<group>/<target>` (so a cookie of one group names nothing in another). Pure: the signer
/// is given.
struct StickyCookie {
    var cookieName: String
    var groupName: String
    var signer: any CookieSigner

    /// The target a valid cookie among `headers` names, if any (the first cookie of our name
    /// decides; a bad signature names none).
    func target(in headers: HTTPHeaders) -> String? {
        for header in headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingSpaces()
                guard trimmed.hasPrefix(self.cookieName + "=") else { continue }
                let value = trimmed.dropFirst(self.cookieName.utf8.count + 1)
                guard let dot = value.lastIndex(of: ".") else { return nil }
                let name = String(value[..<dot])
                let signature = value[value.index(after: dot)...]
                return signature == self.signer.signature(for: "\(self.groupName)/\(name)") ? name : nil
            }
        }
        return nil
    }

    /// The `Set-Cookie` value that sends a client back to `targetName`.
    func setCookieValue(target targetName: String, secure: Bool, maxAge: Duration?) -> String {
        var value = "\(self.cookieName)=\(targetName).\(self.signer.signature(for: "\(self.groupName)/\(targetName)")); Path=/; HttpOnly; SameSite=Lax"
        if secure {
            value += "; Secure"
        }
        if let maxAge {
            value += "; Max-Age=\(maxAge.components.seconds)"
        }
        return value
    }
}
