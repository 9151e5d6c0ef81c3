/// `routes[].rewrite`: how a forwarding route changes the path before the target sees it. The
/// query is kept. The access log shows the rewritten path beside the original.
///
/// - `{ strip_prefix: /api }`: `/api/users?x=1` → `/users?x=1`; `/api` → `/`.
/// - `{ replace_prefix: { from: /v1, to: /v2 } }`: `/v1/users` → `/v2/users`.
///
/// A path the route matched without the prefix is left as it is.
public enum PathRewriteConfiguration: Sendable, Hashable {
    case stripPrefix(String)
    case replacePrefix(from: String, to: String)
}
