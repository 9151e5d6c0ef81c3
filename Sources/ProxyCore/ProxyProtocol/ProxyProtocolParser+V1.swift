extension ProxyProtocolParser {
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")

    /// Reads a v1 line; `bytes` start with ``v1Signature``.
    ///
    /// The line is decoded only once its CRLF is in (the spec's rule, so that a line cut in two
    /// is never half-read). A bare CR or LF, or no CRLF within ``maximumV1Length`` bytes, is
    /// invalid at once.
    static func parseV1(_ bytes: UnsafeRawBufferPointer) throws(Invalid) -> ParseResult {
        var end = Self.v1Signature.count
        while true {
            guard end < min(bytes.count, Self.maximumV1Length) else {
                guard bytes.count < Self.maximumV1Length else {
                    throw Invalid("v1: no CRLF within \(Self.maximumV1Length) bytes")
                }
                return .needMoreBytes
            }
            if bytes[end] == Self.lf {
                throw Invalid("v1: LF without CR")
            }
            if bytes[end] == Self.cr {
                guard end + 1 < Self.maximumV1Length else {
                    throw Invalid("v1: no CRLF within \(Self.maximumV1Length) bytes")
                }
                guard end + 1 < bytes.count else { return .needMoreBytes }
                guard bytes[end + 1] == Self.lf else { throw Invalid("v1: CR without LF") }
                break
            }
            end += 1
        }
        let line = Array(bytes[Self.v1Signature.count..<end])[...]
        let header = ProxyProtocolHeader(version: .v1, command: .proxy, addresses: try Self.v1Addresses(line))
        return .header(header, consumedBytes: end + 2)
    }

    /// The addresses of a line without its `PROXY ` and CRLF.
    private static func v1Addresses(_ line: ArraySlice<UInt8>) throws(Invalid) -> ProxyProtocolHeader.Addresses {
        let unknown = "UNKNOWN".utf8
        if line.starts(with: unknown) {
            // The spec: the receiver ignores whatever follows UNKNOWN up to the CRLF.
            let rest = line.dropFirst(unknown.count)
            guard rest.isEmpty || rest.first == Self.space else {
                throw Invalid("v1: unknown protocol (want TCP4, TCP6 or UNKNOWN)")
            }
            return .unknown
        }
        let isIPv6: Bool
        if line.starts(with: "TCP4 ".utf8) {
            isIPv6 = false
        } else if line.starts(with: "TCP6 ".utf8) {
            isIPv6 = true
        } else {
            throw Invalid("v1: unknown protocol (want TCP4, TCP6 or UNKNOWN)")
        }
        // Exactly one space between fields: a doubled or trailing space makes an empty field.
        let fields = line.dropFirst(5).split(separator: Self.space, omittingEmptySubsequences: false)
        guard fields.count == 4 else {
            throw Invalid("v1: want 4 fields after \(isIPv6 ? "TCP6" : "TCP4"), single-spaced (got \(fields.count))")
        }
        func address(_ field: ArraySlice<UInt8>, _ name: String) throws(Invalid) -> String {
            if isIPv6 {
                guard let bytes = IPAddressBytes.ipv6(field) else { throw Invalid("v1: invalid \(name) IPv6 address") }
                return IPAddressBytes.ipv6Text(bytes)
            }
            guard let bytes = IPAddressBytes.ipv4(field) else { throw Invalid("v1: invalid \(name) IPv4 address") }
            return IPAddressBytes.ipv4Text(bytes)
        }
        func port(_ field: ArraySlice<UInt8>, _ name: String) throws(Invalid) -> Int {
            guard let port = Self.v1Port(field) else { throw Invalid("v1: invalid \(name) port") }
            return port
        }
        return .tcp(
            source: .init(address: try address(fields[0], "source"), port: try port(fields[2], "source")),
            destination: .init(address: try address(fields[1], "destination"), port: try port(fields[3], "destination"))
        )
    }

    /// A port: 1 to 5 decimal digits, no sign, no leading zero (but `0` itself), at most 65535.
    private static func v1Port(_ field: ArraySlice<UInt8>) -> Int? {
        guard (1...5).contains(field.count), field.count == 1 || field.first != UInt8(ascii: "0") else { return nil }
        var value = 0
        for byte in field {
            let digit = byte &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value <= 65535 ? value : nil
    }
}
