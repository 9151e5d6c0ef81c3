/// The claims of a verified token.
///
/// Obtained only from ``JWTVerifier/verify(_:now:)``, so every value here was signed by a
/// trusted key. Values are the issuer's text: before copying one into a request header, check
/// it is a valid header value (no CR, LF or NUL).
public struct JWTClaims: Hashable, Sendable {
    /// Every claim, by name.
    public let members: [String: JSONValue]

    init(members: [String: JSONValue]) {
        self.members = members
    }

    /// The claim named `name` as text, for `claims_to_headers` and `jwt_claim:NAME` keys.
    ///
    /// - Returns: A string claim's value; a number claim's text as written in the token (JSON
    ///   numbers are decimal, and integers of any length stay exact); `nil` for a missing claim,
    ///   `true`/`false`, `null`, arrays and objects.
    public func text(of name: String) -> String? {
        switch self.members[name] {
        case .string(let text): text
        case .number(let text): text
        default: nil
        }
    }

    /// The `sub` (subject) claim as text.
    public var subject: String? {
        self.text(of: "sub")
    }

    /// The claim named `name`, whatever its type.
    public subscript(name: String) -> JSONValue? {
        self.members[name]
    }
}
