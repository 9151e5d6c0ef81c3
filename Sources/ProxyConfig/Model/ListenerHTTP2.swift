public import ProxyDefaults

/// The `http2` block of a listener: the limits of its HTTP/2 connections (HTTPS listeners that
/// offer `h2`, and plain listeners with `h2c: true`).
///
/// Configuration keys (all optional; the defaults are ``Defaults/HTTP2``; see `docs/http2.md`):
/// - `max_concurrent_streams` (1...10000, default `100`): streams a client may have open at once.
/// - `initial_window` (size, 1KiB...16MiB, default `64KiB`): each stream's receive window.
/// - `connection_window` (size, 64KiB...1GiB, default `1MiB`): the connection's receive window.
/// - `max_frame_size` (size, 16KiB...16MiB, default `16KiB`): the largest frame a client may send.
/// - `max_header_block` (size, 1KiB...1MiB, default `64KiB`): a header block past this closes
///   the connection; a header list past `limits.header_bytes` but within this gets `431`.
/// - `max_continuation_frames` (1...1000, default `5`): CONTINUATION frames per header block.
/// - `max_resets_per_second` (1...100000, default `100`): client RST_STREAM frames per second
///   (Rapid Reset); more: GOAWAY `ENHANCE_YOUR_CALM`.
/// - `max_control_frames_per_second` (1...100000, default `100`): SETTINGS, PING, PRIORITY frames per second.
/// - `max_empty_data_frames` (1...1000, default `10`): empty DATA frames in a row.
public struct ListenerHTTP2: Sendable, Equatable {
    public var maxConcurrentStreams: Int
    public var initialWindow: Int
    public var connectionWindow: Int
    public var maxFrameSize: Int
    public var maxHeaderBlock: Int
    public var maxContinuationFrames: Int
    public var maxResetsPerSecond: Int
    public var maxControlFramesPerSecond: Int
    public var maxEmptyDataFrames: Int

    public init(
        maxConcurrentStreams: Int = Defaults.HTTP2.maxConcurrentStreams,
        initialWindow: Int = Defaults.HTTP2.initialWindow,
        connectionWindow: Int = Defaults.HTTP2.connectionWindow,
        maxFrameSize: Int = Defaults.HTTP2.maxFrameSize,
        maxHeaderBlock: Int = Defaults.HTTP2.maxHeaderBlock,
        maxContinuationFrames: Int = Defaults.HTTP2.maxContinuationFrames,
        maxResetsPerSecond: Int = Defaults.HTTP2.maxResetsPerSecond,
        maxControlFramesPerSecond: Int = Defaults.HTTP2.maxControlFramesPerSecond,
        maxEmptyDataFrames: Int = Defaults.HTTP2.maxEmptyDataFrames
    ) {
        self.maxConcurrentStreams = maxConcurrentStreams
        self.initialWindow = initialWindow
        self.connectionWindow = connectionWindow
        self.maxFrameSize = maxFrameSize
        self.maxHeaderBlock = maxHeaderBlock
        self.maxContinuationFrames = maxContinuationFrames
        self.maxResetsPerSecond = maxResetsPerSecond
        self.maxControlFramesPerSecond = maxControlFramesPerSecond
        self.maxEmptyDataFrames = maxEmptyDataFrames
    }
}
