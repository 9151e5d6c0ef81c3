/// A file's validators (RFC 9110 §8.8): a strong `ETag` made of its inode, size and
/// modification time (nanoseconds), with the content coding of a precompressed sibling, and
/// its `Last-Modified` date. Both change when the file is replaced or written (decision 0028).
public struct FileValidators: Equatable, Sendable {
    /// With its quotes: `"<inode>-<size>-<mtime ns>"` in hexadecimal (`…-br` for a coding).
    public var etag: String
    /// Seconds since the epoch.
    public var lastModified: Int64
    /// ``lastModified`` as an IMF-fixdate (the `Last-Modified` value): formatted once, where the
    /// file is looked up, not for every response (a cache hit reuses it).
    public var lastModifiedText: String
    public var size: Int64
    /// ``size`` in decimal (the `Content-Length` of a whole-file response), made once too.
    public var sizeText: String

    public init(inode: UInt64, size: Int64, modifiedSeconds: Int64, modifiedNanoseconds: Int64, coding: String? = nil) {
        let nanoseconds = UInt64(bitPattern: modifiedSeconds &* 1_000_000_000 &+ modifiedNanoseconds)
        let suffix = coding.map { "-\($0)" } ?? ""
        self.etag = "\"\(String(inode, radix: 16))-\(String(size, radix: 16))-\(String(nanoseconds, radix: 16))\(suffix)\""
        self.lastModified = modifiedSeconds
        self.lastModifiedText = HTTPDate.format(modifiedSeconds)
        self.size = size
        self.sizeText = String(size)
    }
}
