/// Why a TLS listener or client could not be configured.
///
/// The text names the file involved first, the way a compiler names a source file:
///
///     certs/x-key.pem: private key does not match certificate certs/x.pem
///     certs/missing.pem: cannot read file: No such file or directory
///
/// Compare against the static members with `==`; ``detail`` and ``file`` are not part of
/// equality, so new reasons can be added without breaking callers.
public struct TLSConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case cannotReadFile
        case cannotWriteFile
        case noCertificate
        case noPrivateKey
        case keyMismatch
        case weakKey
        case unsupportedKeyType
        case invalidSetting
        case openSSL
    }

    private let code: Code
    /// The file involved, or the setting name for ``invalidSetting``.
    public let file: String
    /// What is wrong, in words a user can act on.
    public let detail: String

    private init(_ code: Code, file: String, _ detail: String) {
        self.code = code
        self.file = file
        self.detail = detail
    }

    /// The file is missing or unreadable.
    public static let cannotReadFile = TLSConfigurationError(.cannotReadFile, file: "", "")
    /// A file (dev CA output) could not be written.
    public static let cannotWriteFile = TLSConfigurationError(.cannotWriteFile, file: "", "")
    /// The certificate file holds no PEM certificate.
    public static let noCertificate = TLSConfigurationError(.noCertificate, file: "", "")
    /// The key file holds no PEM private key.
    public static let noPrivateKey = TLSConfigurationError(.noPrivateKey, file: "", "")
    /// The private key does not belong to the leaf certificate.
    public static let keyMismatch = TLSConfigurationError(.keyMismatch, file: "", "")
    /// The key is too weak (RSA below 2048 bits).
    public static let weakKey = TLSConfigurationError(.weakKey, file: "", "")
    /// The key is neither RSA nor ECDSA P-256/P-384.
    public static let unsupportedKeyType = TLSConfigurationError(.unsupportedKeyType, file: "", "")
    /// A configuration value is out of range, such as a TLS version below 1.2 on a listener.
    public static let invalidSetting = TLSConfigurationError(.invalidSetting, file: "", "")
    /// OpenSSL refused the configuration for another reason; ``detail`` carries its reason.
    public static let openSSL = TLSConfigurationError(.openSSL, file: "", "")

    static func cannotReadFile(_ path: String, reason: String) -> Self {
        Self(.cannotReadFile, file: path, "cannot read file: \(reason)")
    }

    static func cannotWriteFile(_ path: String, reason: String) -> Self {
        Self(.cannotWriteFile, file: path, "cannot write file: \(reason)")
    }

    static func noCertificate(in path: String) -> Self {
        Self(.noCertificate, file: path, "no PEM certificate found (expected \"-----BEGIN CERTIFICATE-----\")")
    }

    static func noPrivateKey(in path: String, _ error: OpenSSLError) -> Self {
        Self(.noPrivateKey, file: path, "no PEM private key found (\(error.reasons))")
    }

    static func keyMismatch(keyPath: String, certificatePath: String) -> Self {
        Self(.keyMismatch, file: keyPath, "private key does not match certificate \(certificatePath)")
    }

    static func weakKey(_ path: String, bits: Int) -> Self {
        Self(.weakKey, file: path, "RSA key has \(bits) bits; at least 2048 are required")
    }

    static func unsupportedKeyType(_ path: String, found: String) -> Self {
        Self(.unsupportedKeyType, file: path, "unsupported key type \(found); use ECDSA P-256/P-384 or RSA >= 2048")
    }

    static func invalidSetting(_ setting: String, _ detail: String) -> Self {
        Self(.invalidSetting, file: setting, detail)
    }

    static func invalidTicketKey(_ path: String, size: Int) -> Self {
        Self(.invalidSetting, file: path, "a session ticket key file must hold exactly 80 bytes (got \(size)); make one with: openssl rand 80 > \(path)")
    }

    static func openSSL(_ path: String, _ error: OpenSSLError) -> Self {
        Self(.openSSL, file: path, error.description)
    }

    public var description: String {
        if self.file.isEmpty && self.detail.isEmpty { return "TLSConfigurationError.\(self.code)" }
        return "\(self.file): \(self.detail)"
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
