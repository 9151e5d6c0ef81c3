/// A route action that answers from the proxy itself: the `fixed_response` block.
///
/// Configuration keys (all optional):
/// - `status` (100...599, default 200).
/// - `body` (string, default empty).
/// - `content_type` (header value, default `text/plain; charset=utf-8`).
public struct FixedResponseConfiguration: Sendable, Hashable {
    /// The status used when none is configured.
    public static let defaultStatus = 200
    /// The `Content-Type` used when none is configured.
    public static let defaultContentType = "text/plain; charset=utf-8"

    public var status: Int
    public var body: String
    public var contentType: String

    public init(
        status: Int = FixedResponseConfiguration.defaultStatus,
        body: String = "",
        contentType: String = FixedResponseConfiguration.defaultContentType
    ) {
        self.status = status
        self.body = body
        self.contentType = contentType
    }
}
