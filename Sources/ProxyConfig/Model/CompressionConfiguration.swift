public import ProxyDefaults

/// `routes[].compression`: how a forwarding route compresses its responses (docs/content.md,
/// decision 0026). On by default; `compression: false` turns it off, `true` is the defaults.
///
/// - `encodings` (list of `zstd`, `br`, `gzip`, default `[zstd, br, gzip]`): the codings offered,
///   preferred first; the client's `Accept-Encoding` q-values decide, ties go to the earlier one.
/// - `min_bytes` (size, default `1KiB`): a response whose `Content-Length` is smaller is sent
///   as it is (a response without a length is compressed).
/// - `types` (list of media types, default ``Defaults/Compression/types``): `type/subtype`, or
///   `type/*` for a whole top-level type; parameters (`; charset=utf-8`) are ignored.
/// - `level` (mapping, each optional): `gzip` 1...9 (default 1), `br` 0...11 (default 1),
///   `zstd` 1...19 (default 3). One per coding: the three libraries' scales differ.
public struct CompressionConfiguration: Sendable, Hashable {
    /// A content coding, as written in the file.
    public enum Encoding: String, Sendable, Hashable, CaseIterable {
        case zstd, br, gzip
    }

    public static let keys = ["encodings", "min_bytes", "types", "level"]
    /// The range of `min_bytes`.
    public static let minBytesRange = 0...(1 << 30)

    public var enabled: Bool
    public var encodings: [Encoding]
    public var minBytes: Int
    /// Lower case, as validated.
    public var types: [String]
    public var gzipLevel: Int
    public var brotliLevel: Int
    public var zstdLevel: Int

    public init(
        enabled: Bool = true,
        encodings: [Encoding] = Defaults.Compression.encodings.compactMap(Encoding.init(rawValue:)),
        minBytes: Int = Defaults.Compression.minBytes,
        types: [String] = Defaults.Compression.types,
        gzipLevel: Int = Defaults.Compression.gzipLevel,
        brotliLevel: Int = Defaults.Compression.brotliLevel,
        zstdLevel: Int = Defaults.Compression.zstdLevel
    ) {
        self.enabled = enabled
        self.encodings = encodings
        self.minBytes = minBytes
        self.types = types
        self.gzipLevel = gzipLevel
        self.brotliLevel = brotliLevel
        self.zstdLevel = zstdLevel
    }

    /// `compression: false`.
    public static let off = CompressionConfiguration(enabled: false)
}
