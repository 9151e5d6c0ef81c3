/// `listeners[].request_hygiene` at run time: which path checks run, and whether a failed one
/// refuses (`enforce`) or is only logged and counted (`monitor`).
public struct RequestHygiene: Sendable, Hashable {
    public var monitorOnly: Bool
    public var normalizePath: Bool
    public var traversal: Bool
    public var encodedSlash: Bool
    public var nul: Bool
    public var overlongUTF8: Bool

    public init(
        monitorOnly: Bool = false,
        normalizePath: Bool = true,
        traversal: Bool = true,
        encodedSlash: Bool = true,
        nul: Bool = true,
        overlongUTF8: Bool = true
    ) {
        self.monitorOnly = monitorOnly
        self.normalizePath = normalizePath
        self.traversal = traversal
        self.encodedSlash = encodedSlash
        self.nul = nul
        self.overlongUTF8 = overlongUTF8
    }

    /// Every check off: the path is not looked at.
    public static let off = RequestHygiene(normalizePath: false, traversal: false, encodedSlash: false, nul: false, overlongUTF8: false)

    var checksAnything: Bool { self.normalizePath || self.traversal || self.encodedSlash || self.nul || self.overlongUTF8 }
}
