/// The admin API's own listener: the `admin` section.
///
/// Configuration keys (all optional):
/// - `bind` (`host:port`, default `127.0.0.1:9901`): where the admin API listens. Keep it on
///   loopback or a private interface; a non-loopback bind without a `token` gets a warning.
/// - `token` (string, default none): when set, every request but `GET /healthz` and `GET /ready`
///   must carry `Authorization: Bearer <token>`.
/// - `enabled` (bool, default `true`).
public struct AdminConfiguration: Sendable, Equatable {
    public var enabled: Bool
    public var bind: BindAddress
    public var token: String?

    public init(enabled: Bool = true, bind: BindAddress = AdminConfiguration.defaultBind, token: String? = nil) {
        self.enabled = enabled
        self.bind = bind
        self.token = token
    }

    public static let defaultBind = BindAddress(host: "127.0.0.1", port: 9901)
}
