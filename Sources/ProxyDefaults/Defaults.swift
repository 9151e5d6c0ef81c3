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
        /// A reload that closes a listener to bind its address again (`reuse_port` turned on or
        /// off, http ↔ https) retries a bind refused with EADDRINUSE for this long: a child
        /// process between its fork and its exec (a scaling hook) still holds the closed
        /// socket, which stays listening until the child closes it.
        public static let rebindWait = Duration.seconds(2)
        /// Between two tries of such a bind.
        public static let rebindRetryInterval = Duration.milliseconds(20)
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

    /// `listeners[].tls.alpn`: the application protocols an HTTPS listener offers, preferred first.
    public enum TLS {
        public static let alpn = ["h2", "http/1.1"]
        /// `listeners[].tls.watch_files`: certificate and key files are watched, and a change is
        /// served without a reload (docs/tls.md).
        public static let watchFiles = true
        /// `listeners[].tls.ocsp_stapling`: certificates that name an OCSP responder get their
        /// OCSP response stapled (docs/tls.md).
        public static let ocspStapling = true
    }

    /// How certificate files are watched and OCSP responses kept (docs/tls.md, decision 0020).
    /// Not configuration keys: the runtime's own settings, defined once here.
    public enum CertificateRuntime {
        /// How often every watched certificate and key file is `stat`ed.
        public static let watchInterval = Duration.seconds(1)
        /// A changed file is read once it has stayed the same for this many polls (a writer that
        /// rewrites it in place has finished).
        public static let settlePolls = 1
        /// A refresh that fails after a change is tried again this many times (one poll apart,
        /// then doubling), in case the pair was caught half-written.
        public static let refreshRetries = 4
        /// The first retry of a failed OCSP fetch; each next one waits twice as long.
        public static let ocspRetryInitial = Duration.seconds(2)
        /// The longest wait between OCSP fetch retries.
        public static let ocspRetryMaximum = Duration.seconds(600)
        /// One OCSP fetch (connect, request, response) may take this long.
        public static let ocspTimeout = Duration.seconds(10)
        /// The longest an OCSP response is kept before it is fetched again, whatever its validity.
        public static let ocspMaximumRefresh = Duration.seconds(24 * 3600)
    }

    /// `listeners[].http2`: the limits of an HTTP/2 connection (docs/http2.md).
    public enum HTTP2 {
        /// `max_concurrent_streams`: streams a client may have open at once (SETTINGS).
        public static let maxConcurrentStreams = 100
        /// `initial_window`: each stream's receive window, in bytes: how much of a request body
        /// the client may send before its target has read some of it.
        public static let initialWindow = 65_535
        /// `connection_window`: the connection's receive window, in bytes.
        public static let connectionWindow = 1 << 20
        /// `max_frame_size`: the largest frame a client may send (SETTINGS, 16 KiB...16 MiB).
        public static let maxFrameSize = 16_384
        /// `max_header_block`: the most bytes of one header block (HEADERS and its CONTINUATION
        /// frames, compressed and decoded); more closes the connection (CVE-2024-27316).
        public static let maxHeaderBlock = 64 * 1024
        /// `max_continuation_frames`: CONTINUATION frames one header block may have.
        public static let maxContinuationFrames = 5
        /// `max_resets_per_second`: RST_STREAM frames a client may send in a second; more is
        /// Rapid Reset (CVE-2023-44487): GOAWAY `ENHANCE_YOUR_CALM` and close.
        public static let maxResetsPerSecond = 100
        /// `max_control_frames_per_second`: SETTINGS, PING and PRIORITY frames a client may send
        /// in a second; more is a flood: GOAWAY `ENHANCE_YOUR_CALM` and close.
        public static let maxControlFramesPerSecond = 100
        /// `max_empty_data_frames`: DATA frames without a byte and without END_STREAM a client may
        /// send in a row.
        public static let maxEmptyDataFrames = 10
    }

    /// `listeners[].tls.acme`: certificates from an ACME CA (docs/tls.md).
    public enum ACME {
        /// `state_dir`: the account key, certificates and lock.
        public static let stateDirectory = "/var/lib/portcullis/acme"
        /// `retry_initial`: the first wait after a failed order; each failure doubles it.
        public static let retryInitial = Duration.seconds(30)
        /// `retry_max`: the longest wait between attempts.
        public static let retryMax = Duration.seconds(3600)
        /// A certificate is renewed when this fraction of its lifetime has passed (two thirds,
        /// as Let's Encrypt advises), less a random jitter of up to ``renewalJitter`` of the
        /// lifetime, so instances and listeners do not all renew at the same second.
        public static let renewalFraction = 2.0 / 3.0
        public static let renewalJitter = 0.05
        /// `badNonce` answers retried per request with the fresh nonce the CA sent.
        public static let badNonceRetries = 10
        /// The longest wait for an authorization or an order to leave `pending`/`processing`.
        public static let pollTimeout = Duration.seconds(120)
    }

    /// `listeners[].tls.hsts`: the `Strict-Transport-Security` of an HTTPS listener.
    public enum HSTS {
        /// `max_age`: 365 days, in seconds (what TLS scanners and the preload list ask for).
        public static let maxAge = Duration.seconds(365 * 24 * 3600)
    }

    /// The edge policy of listeners and routes (docs/security.md).
    public enum Policy {
        /// `listeners[].request_id`: an `X-Request-Id` is made for requests that come without one.
        public static let requestID = true
        /// `rate_limits[].max_keys`: the keys (clients, header values) one limit remembers; the
        /// least recently limited make room for new ones.
        public static let rateLimitMaxKeys = 65_536
        /// `rate_limits[].burst` when absent: one second's worth of the rate (at least 1).
        public static func burst(forRatePerSecond rate: Double) -> Int { max(1, Int(rate.rounded(.up))) }
    }

    /// `listeners[].request_hygiene`: what is refused in request targets (docs/security.md).
    public enum RequestHygiene {
        /// `normalize_path`, `traversal`, `encoded_slash`, `nul`, `overlong_utf8`: all on.
        public static let checksOn = true
    }

    /// `routes[]`: what a route allows.
    public enum Route {
        /// `upgrades`: the `Upgrade` protocols a forwarding route passes on (lower case).
        public static let upgrades = ["websocket"]
    }

    /// `routes[].compression`: response compression (docs/content.md, decision 0026).
    public enum Compression {
        /// `encodings`: the content codings offered, preferred first (ties between the client's
        /// q-values go to the earlier one). zstd first: at its default level it compresses
        /// better than gzip at level 1 and takes less CPU.
        public static let encodings = ["zstd", "br", "gzip"]
        /// `min_bytes`: a response whose `Content-Length` is smaller is sent as it is (the
        /// framing of a compressed stream costs more than it saves on a few hundred bytes).
        public static let minBytes = 1024
        /// `types`: the media types compressed (`type/*` takes a whole top-level type);
        /// already-compressed formats (images but SVG, video, archives, fonts in WOFF2) are
        /// left out.
        public static let types = [
            "text/*", "application/json", "application/javascript", "application/xml",
            "application/xhtml+xml", "application/rss+xml", "application/atom+xml",
            "application/ld+json", "application/manifest+json", "application/problem+json",
            "application/geo+json", "application/wasm", "image/svg+xml", "image/x-icon",
            "image/bmp", "font/ttf", "font/otf", "application/vnd.ms-fontobject",
        ]
        /// `level.gzip` (zlib 1...9): nginx's `gzip_comp_level` default, so a gzip response
        /// costs what it costs behind nginx.
        public static let gzipLevel = 1
        /// `level.br` (brotli quality 0...11): 1, which compresses a JSON body about as well as
        /// gzip at level 1 for ~45 % less CPU (decision 0026: quality 2 costs 1.5× gzip 1, and
        /// 4 costs more than 5 for a larger output).
        public static let brotliLevel = 1
        /// `level.zstd` (1...19): zstd's own default level.
        public static let zstdLevel = 3
        /// The ranges of the levels, by coding: each library has its own scale.
        public static let gzipLevels = 1...9
        public static let brotliLevels = 0...11
        public static let zstdLevels = 1...19
    }

    /// `routes[].cache`: the HTTP cache (docs/content.md, decision 0029).
    public enum Cache {
        /// `memory`: the bytes of stored responses (bodies and fields) the memory tier keeps
        /// before it evicts the least recently used.
        public static let memoryBytes = 256 * 1024 * 1024
        /// `max_object`: a larger response streams through and is not stored.
        public static let maxObjectBytes = 8 * 1024 * 1024
        /// The most a miss being stored reserves for its body before the bytes arrive (its
        /// `Content-Length` up to this; a larger body grows the buffer as it comes).
        public static let captureReservationBytes = 1024 * 1024
        /// `default_ttl`: the freshness lifetime of a response that names none (no `max-age`,
        /// `s-maxage` or `Expires`) and whose status is cacheable by default; 0 stores it only
        /// when it can be revalidated (`ETag`, `Last-Modified`).
        public static let defaultTTLSeconds = 0
        /// How long a request waits for another request's fill of the same key (collapsing)
        /// before it goes to the target on its own (nginx's `proxy_cache_lock_timeout`): a slow
        /// client of the filling request must not hold the others.
        public static let lockTimeoutMilliseconds: Int64 = 5_000
        /// `purge.allow`: who may send `PURGE` (loopback only).
        public static let purgeAllow = ["127.0.0.0/8", "::1/128"]
        /// `disk.size`: the bytes of files (records of head and body) the disk tier keeps
        /// before it removes the least recently used.
        public static let diskBytes = 10 * 1024 * 1024 * 1024
    }

    /// `routes[].static`: a route that serves files from a directory (decision 0028).
    public enum StaticFiles {
        /// `index`: the files tried, in order, for a request that names a directory.
        public static let index = ["index.html"]
        /// `try_files`: the candidates tried, in order (`$uri` is the request's path).
        public static let tryFiles = ["$uri"]
        /// `listing`: whether a directory without an index is answered with a listing (else `404`).
        public static let listing = false
        /// `precompressed`: whether `.br`/`.zst`/`.gz` siblings are served to clients that accept them.
        public static let precompressed = true
        /// `follow_symlinks`: whether a symbolic link may lead outside `root`.
        public static let followSymlinks = false
        /// `dotfiles`: whether names starting with `.` are served (`/.well-known/` always is).
        public static let dotfiles = false
        /// The bytes read per chunk where `sendfile` cannot be used (TLS, HTTP/2).
        public static let chunkBytes = 64 * 1024
        /// Files up to this size are read whole by the lookup itself (on the thread pool), and
        /// sent with the head in one write: no second hop, no `sendfile` for a few bytes.
        public static let inlineBytes = 16 * 1024
        /// `cache_valid`: how long a lookup's result (a small file's bytes and validators, or "not
        /// found") is reused by an event loop before the file system is asked again; `0` turns the
        /// cache off. Also the longest time a changed or deleted file may still be served as it was
        /// (like nginx's `open_file_cache_valid`, 60 s there).
        public static let cacheValid = Duration.seconds(1)
        /// The most lookups each event loop keeps per static route (the least recently used go).
        public static let cacheEntries = 1024
        /// The most file bytes each event loop keeps per static route.
        public static let cacheBytes = 8 * 1024 * 1024
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
        /// The most streams one h2c connection to a target carries at once (fewer when the
        /// target's SETTINGS_MAX_CONCURRENT_STREAMS says so); a request past it opens another
        /// connection (decision 0030).
        public static let h2cMaxStreamsPerConnection = 100
    }

    /// `target_groups.<name>.targets[]`, `--to`, the admin API and `portcullis targets`.
    public enum Target {
        /// The host of a target written without one (`:3000`): IPv4 loopback, as in the embedded
        /// default's target (`127.0.0.1:8080`).
        public static let localHost = "127.0.0.1"
    }

    /// `targets[]` entries with `dns:` or `srv:` and `global.resolvers`: DNS service discovery
    /// of targets (docs/operations.md, decision 0032).
    public enum Discovery {
        /// `refresh`: the longest time between two resolutions of a name (a shorter TTL of the
        /// answer wins).
        public static let refresh = Duration.seconds(30)
        /// The shortest time between two resolutions of a name, whatever the TTL (a TTL of 0 or
        /// 1 s must not turn into a query loop).
        public static let minimumInterval = Duration.seconds(1)
        /// After a failed resolution (timeout, SERVFAIL, REFUSED, a malformed answer) the next
        /// try comes this soon, or at `refresh` if that is shorter; the last answer stays.
        public static let retryAfterFailure = Duration.seconds(5)
        /// A vanished target is deregistered once it has no request in flight, or after this
        /// long draining whatever it still has (those requests go on).
        public static let drainLimit = Duration.seconds(300)
        /// The DNS port of a resolver written without one, and of `/etc/resolv.conf`'s.
        public static let resolverPort = 53
        /// One query's wait for an answer from one resolver (`options timeout:` of
        /// `/etc/resolv.conf` overrides it, capped at 30 s).
        public static let queryTimeout = Duration.seconds(2)
        /// Rounds over the resolvers per query (`options attempts:` overrides it, at most 5).
        public static let attempts = 2
        /// The resolver when neither `global.resolvers` nor `/etc/resolv.conf` names one (the
        /// glibc default).
        public static let fallbackResolver = "127.0.0.1"
        /// `/etc/resolv.conf`: read when `global.resolvers` is absent.
        public static let resolvConfPath = "/etc/resolv.conf"
        /// How long `start()` waits for the first answers before binding listeners, so a group
        /// whose targets all come from DNS does not answer its first requests with 503.
        public static let startupWait = Duration.seconds(3)
        /// `max_targets`: the most targets one `dns:` or `srv:` entry brings (an answer over TCP
        /// may name thousands of addresses, each of which would be health-checked). Beyond it the
        /// answer is cut to the targets with the lowest ids, the same subset at every refresh and
        /// on every instance, and the cut is logged and counted.
        public static let maxTargetsPerEntry = 128
        /// The highest `max_targets` a configuration may set.
        public static let maxTargetsPerEntryLimit = 4096
    }

    /// `portcullis dev` (docs/dev.md).
    public enum Dev {
        /// Where it listens without `--listen`: loopback only, an unprivileged port.
        public static let listenHost = "127.0.0.1"
        public static let listenPort = 8443
        /// The host name its URL names and its certificate is for.
        public static let urlHost = "localhost"
        /// `global.shutdown_grace` of the dev proxy: Ctrl-C stops it at once.
        public static let shutdownGrace = Duration.seconds(1)
    }

    /// `portcullis run --etcd … --fleet …` (docs/operations.md, "A fleet over etcd").
    public enum Fleet {
        /// How long an instance's view in etcd outlives the instance (its lease's TTL).
        public static let leaseSeconds = 10
        /// How often an instance publishes its view (in-flight counts for `drain --wait`).
        public static let publishInterval = Duration.milliseconds(500)
        /// How long an instance waits before trying etcd again.
        public static let retryInterval = Duration.seconds(1)
        /// Where an instance keeps the last configuration applied, in the working directory,
        /// with the fleet's name in place of `{fleet}`.
        public static let localCopy = "portcullis-fleet-{fleet}.yaml"
        /// How often the instance holding the ticket lease starts a new shared session-ticket key.
        public static let ticketRotation = Duration.seconds(3600)
        /// How many previous shared ticket keys every instance still accepts (a ticket resumes
        /// for between `ticketRetention` and `ticketRetention + 1` rotations).
        public static let ticketRetention = 2
        /// How often each instance checks the ticket lease (takes it over when free, rotates
        /// when due).
        public static let ticketCheckInterval = Duration.seconds(1)
    }
}
