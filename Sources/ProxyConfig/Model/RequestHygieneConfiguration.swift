public import ProxyDefaults

/// `listeners[].request_hygiene`: checks of the request path that catch what scanners and
/// request-smuggling attempts send. Each is on by default; `mode: monitor` logs and counts what
/// would be refused without refusing it (to turn checks on safely).
///
/// Configuration keys:
/// - `mode` (`enforce` or `monitor`, default `enforce`).
/// - `normalize_path` (bool, default `true`): percent-encoded unreserved characters are decoded
///   and `.`/`..` segments resolved, once, before routing; the target sees the normalised path.
/// - `traversal` (bool, default `true`): a path whose `..` climbs above `/` gets 400.
/// - `encoded_slash` (bool, default `true`): `%2F` or `%5C` in the path gets 400.
/// - `nul` (bool, default `true`): `%00` in the path gets 400.
/// - `overlong_utf8` (bool, default `true`): percent-encoded bytes that are not valid UTF-8
///   (overlong forms such as `%C0%AE`, surrogates, stray continuation bytes) get 400.
public struct RequestHygieneConfiguration: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case enforce
        case monitor
    }

    public var mode: Mode
    public var normalizePath: Bool
    public var traversal: Bool
    public var encodedSlash: Bool
    public var nul: Bool
    public var overlongUTF8: Bool

    public init(
        mode: Mode = .enforce,
        normalizePath: Bool = Defaults.RequestHygiene.checksOn,
        traversal: Bool = Defaults.RequestHygiene.checksOn,
        encodedSlash: Bool = Defaults.RequestHygiene.checksOn,
        nul: Bool = Defaults.RequestHygiene.checksOn,
        overlongUTF8: Bool = Defaults.RequestHygiene.checksOn
    ) {
        self.mode = mode
        self.normalizePath = normalizePath
        self.traversal = traversal
        self.encodedSlash = encodedSlash
        self.nul = nul
        self.overlongUTF8 = overlongUTF8
    }
}
