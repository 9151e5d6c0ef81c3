/// One usable public key from a JWKS (RFC 7517), ready to check signatures.
struct JSONWebKey: Sendable {
    /// The key's `kid`, which a token's header may name.
    let keyID: String?
    /// The key's own `alg`, when it names one: then only that algorithm may use it.
    let algorithm: JWTAlgorithm?
    let key: VerificationKey

    /// Whether a token signed with `algorithm` may be checked with this key.
    func fits(_ algorithm: JWTAlgorithm) -> Bool {
        self.key.type == algorithm.keyType && (self.algorithm == nil || self.algorithm == algorithm)
    }

    /// The smallest RSA modulus accepted, in bits.
    static let minimumRSABits = 2048

    /// Builds a key from one member of a JWKS `keys` array.
    ///
    /// - Parameters:
    ///   - value: The JWK object.
    ///   - allowed: The algorithms tokens may use; a key none of them can use is not usable.
    /// - Returns: The key, or why it was skipped (for the load report).
    static func parse(_ value: JSONValue, allowed: Set<JWTAlgorithm>) -> Result<JSONWebKey, SkipReason> {
        guard case .object(let members) = value else { return .failure("not a JSON object") }
        if let use = members["use"], use != .string("sig") {
            return .failure("\"use\" is \(Self.quoted(use)), not \"sig\"")
        }
        var keyID: String? = nil
        if let kid = members["kid"] {
            guard let text = kid.stringValue else { return .failure("\"kid\" is not a string") }
            keyID = text
        }
        var algorithm: JWTAlgorithm? = nil
        if let alg = members["alg"] {
            guard let name = alg.stringValue, let known = JWTAlgorithm(rawValue: name) else {
                return .failure("unsupported alg \(Self.quoted(alg))")
            }
            algorithm = known
        }
        let key: VerificationKey
        switch members["kty"] {
        case .string("EC"):
            switch Self.parseEllipticCurve(members) {
            case .success(let parsed): key = parsed
            case .failure(let reason): return .failure(reason)
            }
        case .string("RSA"):
            switch Self.parseRSA(members) {
            case .success(let parsed): key = parsed
            case .failure(let reason): return .failure(reason)
            }
        case nil:
            return .failure("no \"kty\"")
        case let kty?:
            return .failure("unsupported kty \(Self.quoted(kty))")
        }
        if let algorithm {
            guard algorithm.keyType == key.type else {
                return .failure("alg \(algorithm) does not fit this \(key.type) key")
            }
            guard allowed.contains(algorithm) else {
                return .failure("its alg \(algorithm) is not among the allowed algorithms")
            }
        } else if !allowed.contains(where: { $0.keyType == key.type }) {
            return .failure("no allowed algorithm can use this \(key.type) key")
        }
        return .success(JSONWebKey(keyID: keyID, algorithm: algorithm, key: key))
    }

    /// Why a JWK was skipped, such as `unsupported kty "OKP"`.
    struct SkipReason: Error, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
        let message: String

        init(stringLiteral message: String) {
            self.message = message
        }

        init(stringInterpolation: DefaultStringInterpolation) {
            self.message = String(stringInterpolation: stringInterpolation)
        }
    }

    private static func parseEllipticCurve(_ members: [String: JSONValue]) -> Result<VerificationKey, SkipReason> {
        guard let crv = members["crv"] else { return .failure("EC key without \"crv\"") }
        guard let name = crv.stringValue, let curve = EllipticCurve(rawValue: name) else {
            return .failure("unsupported crv \(Self.quoted(crv))")
        }
        let length = curve.coordinateByteCount
        guard let x = Self.bytes(members["x"]), x.count == length else {
            return .failure("\"x\" is not \(length) bytes of base64url")
        }
        guard let y = Self.bytes(members["y"]), y.count == length else {
            return .failure("\"y\" is not \(length) bytes of base64url")
        }
        do {
            return .success(try VerificationKey.ellipticCurve(curve, x: x, y: y))
        } catch {
            return .failure("OpenSSL refused the key (\(error.reason))")
        }
    }

    private static func parseRSA(_ members: [String: JSONValue]) -> Result<VerificationKey, SkipReason> {
        guard let n = Self.bytes(members["n"]), let first = n.first, first != 0 else {
            return .failure("\"n\" is not a base64url integer without leading zeros")
        }
        guard let e = Self.bytes(members["e"]), let firstE = e.first, firstE != 0 else {
            return .failure("\"e\" is not a base64url integer without leading zeros")
        }
        let bits = n.count * 8 - first.leadingZeroBitCount
        guard bits >= Self.minimumRSABits else {
            return .failure("RSA key has \(bits) bits; at least \(Self.minimumRSABits) are required")
        }
        do {
            return .success(try VerificationKey.rsa(modulus: n, exponent: e))
        } catch {
            return .failure("OpenSSL refused the key (\(error.reason))")
        }
    }

    /// The bytes of a base64url string member, or `nil`.
    private static func bytes(_ value: JSONValue?) -> [UInt8]? {
        guard let text = value?.stringValue else { return nil }
        return Base64.decodeURL(text.utf8)
    }

    /// A short rendering of a member's value for a message: quoted text, or the JSON type.
    private static func quoted(_ value: JSONValue) -> String {
        switch value {
        case .string(let text) where text.count <= 40: "\"\(text)\""
        case .string: "a long string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
