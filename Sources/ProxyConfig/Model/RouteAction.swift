/// What a route does with the requests it matches. Each route has exactly one action, written as
/// one of the keys `forward`, `redirect`, `fixed_response` or `static`.
public enum RouteAction: Sendable, Hashable {
    /// Proxy the request to a target group (`forward: <name>`).
    case forward(targetGroup: String)
    /// Answer with a redirect (`redirect: {...}`).
    case redirect(RedirectConfiguration)
    /// Answer with a response the proxy makes itself (`fixed_response: {...}`).
    case fixedResponse(FixedResponseConfiguration)
    /// Serve files from a directory (`static: {...}`).
    case staticFiles(StaticFilesConfiguration)

    /// The configuration keys of the actions, in the order they are documented.
    static let keys = ["forward", "redirect", "fixed_response", "static"]
}
