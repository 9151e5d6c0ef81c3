import NIOHTTP1

/// A message head as ``HTTP1HeadParser`` read it: the start line, the fields in order, and what
/// the framing fields said (read while the fields were, so nobody scans for them again to frame
/// the body).
struct HTTP1Head {
    /// What `Transfer-Encoding` says, over all its fields.
    enum TransferCoding: Hashable {
        case absent
        /// `chunked` is the last coding, and only once.
        case chunked
        /// Present without `chunked`.
        case other
        /// `chunked` is not the last coding, or is there twice.
        case invalid
    }

    var version: HTTPVersion
    /// Requests only.
    var method: HTTPMethod = .GET
    /// Requests only.
    var uri: String = ""
    /// Responses only.
    var status: Int = 0
    var fields: [(String, String)] = []
    /// The value every `Content-Length` agrees on; `nil` without one.
    var contentLength: Int?
    var transferCoding = TransferCoding.absent
}
