#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Tells IP address literals apart from host names, with the system's own parser.
enum IPAddressText {
    static func isIPAddress(_ text: String) -> Bool {
        var storage = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &storage) == 1 || inet_pton(AF_INET6, text, &storage) == 1
    }
}
