import NIOCore

extension TimeAmount {
    /// Converts a configuration `Duration` to NIO's `TimeAmount`, rounding to nanoseconds.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
