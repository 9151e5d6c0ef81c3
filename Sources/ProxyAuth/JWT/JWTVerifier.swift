/// Checks JSON Web Tokens (RFC 7519) signed with a key from a JWKS.
///
/// The public keys are parsed and built into OpenSSL keys once, at load time. A verification then
/// splits the compact token, decodes its three parts, reads the header, picks the keys that fit,
/// checks the signature over `header.payload`, and only then reads the claims:
///
/// - `alg` must be in ``Settings/algorithms``. `none` is refused in any spelling, and so is a
///   header with `crit` (no extension is understood).
/// - With a `kid`, only keys with that `kid` are tried; without one, every key that fits `alg`.
///   A key fits when its type (and curve) matches `alg`, and its own `alg`, if any, is `alg`:
///   an RSA key never checks an `ES256` token, nor an EC key an `RS256` one.
/// - `exp` is required: expired when `now > exp + leeway`. `nbf`, when present: not yet valid
///   when `now + leeway < nbf`. `iss` and `aud` are checked when configured.
///
/// Immutable once loaded, so one value serves every event loop; verifications may run on many
/// threads at once.
public struct JWTVerifier: Sendable {
    /// Tokens longer than this are refused before any decoding.
    public static let maximumTokenLength = 16_384

    /// The claims each token must satisfy.
    public let settings: Settings
    /// The usable keys, in JWKS order.
    private let keys: [JSONWebKey]
    /// Keys of the JWKS that were skipped, and why, such as `keys[2] (kid "x"): unsupported kty "OKP"`.
    /// Worth a warning at load time; not an error while at least one key is usable.
    public let skippedKeys: [String]

    /// How many keys can check tokens.
    public var keyCount: Int {
        self.keys.count
    }

    /// Loads the keys of a JWKS document.
    ///
    /// Supports EC keys on P-256, P-384 and P-521 (`kty: EC`, `crv`, `x`, `y`) and RSA keys of at
    /// least 2048 bits (`kty: RSA`, `n`, `e`); `kid`, `alg` and `use` are honoured. Keys of other
    /// types, for encryption, or that no allowed algorithm can use are skipped and listed in
    /// ``skippedKeys``.
    ///
    /// - Parameters:
    ///   - jwks: The JSON text: `{"keys": [...]}`.
    ///   - settings: What tokens must satisfy.
    /// - Throws: ``AuthLoadError`` when the JSON is invalid, has no `keys` array, no key is
    ///   usable (each skipped key is listed), or the settings are invalid.
    public init(jwks: String, settings: Settings) throws(AuthLoadError) {
        var problems = settings.problems
        let document: JSONValue
        do {
            document = try JSONValue(parsing: jwks.utf8)
        } catch {
            let position = error.lineAndColumn(in: jwks.utf8)
            let message = "column \(position.column): JWKS is not valid JSON (\(error.message))"
            problems.append(.init(line: position.line, message: message))
            throw AuthLoadError(problems: problems)
        }
        guard let entries = document["keys"]?.arrayValue else {
            problems.append(.init(line: nil, message: "JWKS is not an object with a \"keys\" array"))
            throw AuthLoadError(problems: problems)
        }
        var keys: [JSONWebKey] = []
        var skipped: [String] = []
        for (index, entry) in entries.enumerated() {
            switch JSONWebKey.parse(entry, allowed: settings.algorithms) {
            case .success(let key):
                keys.append(key)
            case .failure(let reason):
                let kid = entry["kid"]?.stringValue.map { " (kid \"\($0)\")" } ?? ""
                skipped.append("keys[\(index)]\(kid): \(reason.message)")
            }
        }
        if keys.isEmpty && problems.isEmpty {
            problems += skipped.map { .init(line: nil, message: $0) }
            let allowed = settings.algorithms.map(\.rawValue).sorted().joined(separator: ", ")
            problems.append(.init(line: nil, message: "JWKS has no usable key for the allowed algorithms (\(allowed))"))
        }
        guard problems.isEmpty else {
            throw AuthLoadError(problems: problems)
        }
        self.settings = settings
        self.keys = keys
        self.skippedKeys = skipped
    }

    /// Verifies a compact JWS token (the text after `Bearer `) and its claims.
    ///
    /// - Parameters:
    ///   - token: `header.payload.signature`, each part base64url without padding.
    ///   - now: The current time in seconds since 1970-01-01 UTC.
    /// - Returns: The claims, or the first reason the token fails.
    public func verify(_ token: some StringProtocol, now: Int64) -> Result<JWTClaims, JWTFailure> {
        if let result = token.utf8.withContiguousStorageIfAvailable({ self.verify(bytes: $0, now: now) }) {
            return result
        }
        return Array(token.utf8).withUnsafeBufferPointer { self.verify(bytes: $0, now: now) }
    }

    private func verify(bytes: UnsafeBufferPointer<UInt8>, now: Int64) -> Result<JWTClaims, JWTFailure> {
        guard bytes.count <= Self.maximumTokenLength else {
            return .failure(.malformed(reason: "longer than \(Self.maximumTokenLength) bytes"))
        }
        let dot = UInt8(ascii: ".")
        guard let firstDot = bytes.firstIndex(of: dot),
            let secondDot = bytes[(firstDot + 1)...].firstIndex(of: dot),
            !bytes[(secondDot + 1)...].contains(dot)
        else {
            return .failure(.malformed(reason: "not three dot-separated parts"))
        }
        guard firstDot > 0, let headerBytes = Base64.decodeURL(bytes[..<firstDot]) else {
            return .failure(.malformed(reason: "header is not base64url"))
        }
        guard let payloadBytes = Base64.decodeURL(bytes[(firstDot + 1)..<secondDot]) else {
            return .failure(.malformed(reason: "payload is not base64url"))
        }
        guard let signature = Base64.decodeURL(bytes[(secondDot + 1)...]) else {
            return .failure(.malformed(reason: "signature is not base64url"))
        }
        guard case .object(let header)? = try? JSONValue(parsing: headerBytes) else {
            return .failure(.malformed(reason: "header is not a JSON object"))
        }
        let algorithm: JWTAlgorithm
        switch self.algorithm(in: header) {
        case .success(let allowed): algorithm = allowed
        case .failure(let failure): return .failure(failure)
        }
        var keyID: String? = nil
        if let kid = header["kid"] {
            guard case .string(let text) = kid else { return .failure(.malformed(reason: "kid is not a string")) }
            keyID = text
        }

        let message = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<secondDot]))
        var foundKey = false
        var verified = false
        for key in self.keys where key.fits(algorithm) && (keyID == nil || key.keyID == keyID) {
            foundKey = true
            verified = signature.withUnsafeBytes {
                key.key.verify(signature: $0, message: message, algorithm: algorithm)
            }
            if verified { break }
        }
        guard foundKey else { return .failure(.unknownKey) }
        guard verified else { return .failure(.badSignature) }

        guard case .object(let claims)? = try? JSONValue(parsing: payloadBytes) else {
            return .failure(.malformed(reason: "claims are not a JSON object"))
        }
        if let failure = self.check(claims, now: now) {
            return .failure(failure)
        }
        return .success(JWTClaims(members: claims))
    }

    /// The header's `alg`, if it is allowed. `crit` is refused here too: it would name
    /// extensions that change what the signature means.
    private func algorithm(in header: [String: JSONValue]) -> Result<JWTAlgorithm, JWTFailure> {
        guard case .string(let name)? = header["alg"] else {
            return .failure(.malformed(reason: "header has no alg"))
        }
        guard name.lowercased() != "none",
            let algorithm = JWTAlgorithm(rawValue: name),
            self.settings.algorithms.contains(algorithm)
        else {
            return .failure(.algorithmNotAllowed)
        }
        guard header["crit"] == nil else {
            return .failure(.malformed(reason: "header has crit extensions"))
        }
        return .success(algorithm)
    }

    /// The first claim that fails, or `nil`.
    private func check(_ claims: [String: JSONValue], now: Int64) -> JWTFailure? {
        let now = Double(now)
        let leeway = Double(self.settings.leeway)
        guard let expiry = claims["exp"] else { return .missingExpiry }
        guard let expiresAt = expiry.numberValue else { return .malformed(reason: "exp is not a number") }
        if now > expiresAt + leeway {
            return .expired
        }
        if let notBefore = claims["nbf"] {
            guard let validFrom = notBefore.numberValue else { return .malformed(reason: "nbf is not a number") }
            if now + leeway < validFrom {
                return .notYetValid
            }
        }
        if let issuer = self.settings.issuer, claims["iss"] != .string(issuer) {
            return .wrongIssuer
        }
        if let audience = self.settings.audience {
            switch claims["aud"] {
            case .string(let single) where single == audience:
                break
            case .array(let many) where many.contains(.string(audience)):
                break
            default:
                return .wrongAudience
            }
        }
        return nil
    }
}
