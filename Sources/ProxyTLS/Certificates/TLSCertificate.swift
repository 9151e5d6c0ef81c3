internal import CSSL

/// An X.509 certificate held in OpenSSL memory.
///
/// Owns exactly one reference to an `X509` and gives it back in `deinit`. The raw pointer is
/// reachable only inside ``withX509Pointer(_:)``.
final class TLSCertificate {
    /// Owned `X509 *`. Released in `deinit`.
    private let x509: OpaquePointer

    /// Adopts a pointer whose reference the caller already owns (e.g. from `PEM_read_bio_X509`).
    init(adopting x509: OpaquePointer) {
        self.x509 = x509
    }

    /// Takes a reference of our own to a borrowed pointer (e.g. `SSL_get0_peer_certificate`).
    convenience init(retaining borrowed: OpaquePointer) {
        X509_up_ref(borrowed)
        self.init(adopting: borrowed)
    }

    deinit {
        X509_free(self.x509)
    }

    /// Calls `body` with the raw `X509 *`. Don't store the pointer, and don't free it.
    func withX509Pointer<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(self.x509)
    }

    /// Parses every certificate in a PEM document, in file order (leaf first, for a chain).
    static func readAll(pem: [UInt8]) -> [TLSCertificate] {
        pem.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, CInt(bytes.count)) else { return [] }
            defer { BIO_free(bio) }
            var certificates: [TLSCertificate] = []
            ERR_clear_error()
            while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(TLSCertificate(adopting: x509))
            }
            ERR_clear_error()  // the read that ends the loop always queues "no start line"
            return certificates
        }
    }

    /// The subject in OpenSSL's one-line form, such as `/CN=localhost/O=Portcullis`.
    var subject: String {
        guard let name = X509_get_subject_name(self.x509),
            let text = X509_NAME_oneline(name, nil, 0)
        else { return "" }
        defer { CSSL_OPENSSL_free(text) }
        return String(cString: text)
    }

    /// The subject's common name, if any.
    var commonName: String? {
        guard let name = X509_get_subject_name(self.x509) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CSSL_OPENSSL_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    /// The subjectAltName DNS entries, in certificate order.
    var dnsNames: [String] {
        self.alternativeNames.compactMap { if case .dns(let name) = $0 { name } else { nil } }
    }

    /// The subjectAltName IP entries, rendered as text (`127.0.0.1`, `::1`).
    var ipAddresses: [String] {
        self.alternativeNames.compactMap { if case .ip(let address) = $0 { address } else { nil } }
    }

    /// The names a client may reach this certificate by: SAN DNS entries, or the CN if there are none.
    var serverNames: [String] {
        let dns = self.dnsNames
        if !dns.isEmpty { return dns }
        return self.commonName.map { [$0] } ?? []
    }

    enum AlternativeName: Hashable {
        case dns(String)
        case ip(String)
    }

    var alternativeNames: [AlternativeName] {
        guard let raw = X509_get_ext_d2i(self.x509, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { CSSL_GENERAL_NAMES_free(names) }
        var result: [AlternativeName] = []
        for index in 0..<CSSL_sk_GENERAL_NAME_num(names) {
            guard let entry = CSSL_sk_GENERAL_NAME_value(names, index) else { continue }
            switch entry.pointee.type {
            case GEN_DNS:
                if let bytes = Self.bytes(of: entry.pointee.d.dNSName) {
                    result.append(.dns(String(decoding: bytes, as: UTF8.self)))
                }
            case GEN_IPADD:
                if let bytes = Self.bytes(of: entry.pointee.d.iPAddress) {
                    result.append(.ip(Self.renderIP(bytes)))
                }
            default:
                continue
            }
        }
        return result
    }

    private static func bytes(of string: UnsafeMutablePointer<ASN1_STRING>?) -> [UInt8]? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }

    private static func renderIP(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return bytes.map { String($0, radix: 16) }.joined(separator: ":") }
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        // Compress the longest run of zero groups (RFC 5952), so ::1 reads as ::1.
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            let start = index
            while index < 8 && groups[index] == 0 { index += 1 }
            if index - start > bestLength && index - start > 1 { (bestStart, bestLength) = (start, index - start) }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}

// Immutable after init, and OpenSSL's X509 reference counting is thread-safe, so one
// certificate may be shared by every event loop.
extension TLSCertificate: @unchecked Sendable {}
