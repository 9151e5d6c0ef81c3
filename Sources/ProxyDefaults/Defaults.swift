/// The default of every setting that both the configuration language (`ProxyConfig`) and the
/// runtime (`ProxyCore`) name, defined once (decision 0015).
///
/// `ProxyConfig` and `ProxyCore` do not import each other, so neither can hold a default the
/// other reads. Both import this module: `ProxyConfig`'s model types start from these values when
/// a key is absent, and `ProxyCore`'s settings types use them as the default arguments of their
/// initializers (for tests and for code that has no configuration at hand). A value here is
/// the one `docs/configuration.md` documents for the key named in its comment.
///
/// Durations are Swift `Duration`s, so this module needs nothing but the standard library;
/// `ProxyCore` converts them to NIO's `TimeAmount`.
public enum Defaults {
    /// `listeners[]`: what a listener sends and strips.
    public enum Listener {
        /// `server_header`: the `Server` header sent to clients.
        public static let serverHeader = "portcullis"
        /// `strip_response_headers`: removed from upstream responses (they tell attackers what
        /// runs behind the proxy); compared case-insensitively.
        public static let strippedResponseHeaders = ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"]
    }

    /// `listeners[].limits`: what protects a listener from slow or oversized requests.
    public enum Limits {
        /// `header_bytes`: request line plus headers; more is answered with `431`.
        public static let headerBytes = 16 * 1024
        /// `body_bytes`: request body; more is answered with `413`.
        public static let bodyBytes = 1 << 30
        /// `header_timeout`: time to receive a complete request head; slower clients get `408`.
        public static let headerTimeout = Duration.seconds(10)
        /// `idle_timeout`: how long a keep-alive connection may sit idle between requests.
        public static let idleTimeout = Duration.seconds(60)
        /// `body_timeout`: the longest wait for the next piece of a request body; then `408`.
        public static let bodyTimeout = Duration.seconds(60)
        /// `send_timeout`: the longest a client may take none of what is queued for it; then the
        /// connection is closed (and its target connection not reused).
        public static let sendTimeout = Duration.seconds(60)
        /// `tunnel_idle_timeout`: the longest an upgraded connection (a WebSocket) may carry no
        /// byte either way.
        public static let tunnelIdleTimeout = Duration.seconds(3600)
    }

    /// `routes[]`: what a route allows.
    public enum Route {
        /// `upgrades`: the `Upgrade` protocols a forwarding route passes on (lower case).
        public static let upgrades = ["websocket"]
    }

    /// `target_groups.<name>.upstream`: how a target group talks to its targets.
    public enum Upstream {
        /// `connect_timeout`: TCP connect to a target. A connect that does not finish in time is
        /// answered with `504` (a refused one with `502`).
        public static let connectTimeout = Duration.seconds(5)
        /// `response_timeout`: from the request sent to the response head; then `504`.
        public static let responseTimeout = Duration.seconds(60)
        /// `max_idle_per_target`: the most idle keep-alive connections kept per target and event
        /// loop. A cap, not a size: the pool only holds connections that the load opened, and
        /// closes each after `idle_timeout` unused (decision 0015).
        public static let maxIdlePerTarget = 1024
        /// `idle_timeout`: an idle upstream connection unused this long is closed.
        public static let idleTimeout = Duration.seconds(60)
    }
}
