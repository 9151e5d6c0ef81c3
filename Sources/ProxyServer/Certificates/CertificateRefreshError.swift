public import ProxyTLS

/// Why ``ProxyServer/refreshCertificates(listener:reason:)`` changed nothing.
public enum CertificateRefreshError: Error, CustomStringConvertible, Equatable {
    /// No running listener has that name.
    case unknownListener(String)
    /// The listener is plain HTTP.
    case notHTTPS(String)
    /// A file could not be used; the listener keeps serving its current certificates.
    case invalid(listener: String, TLSConfigurationError)
    /// The server is shutting down.
    case stopped

    public var description: String {
        switch self {
        case .unknownListener(let name): "no running listener \"\(name)\""
        case .notHTTPS(let name): "listener \"\(name)\" is not an https listener"
        case .invalid(let listener, let error): "listener \"\(listener)\" keeps its current certificates: \(error)"
        case .stopped: "the server is shutting down"
        }
    }

    /// The file a broken-file error names (certificate or key), if any.
    public var file: String? {
        if case .invalid(_, let error) = self { return error.file }
        return nil
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.description == rhs.description }
}
