/// An h2c target did not process a stream, so nothing of the request was acted on and it may be
/// sent again whatever its method (RFC 9113 §8.7).
struct UpstreamStreamRefused: Error, CustomStringConvertible {
    enum Reason {
        /// `RST_STREAM` with `REFUSED_STREAM`: the target turned this stream away.
        case refusedStream
        /// The stream was above the last stream id of the target's `GOAWAY` (§6.8), or was
        /// opened after it: the connection is going away, not necessarily the target.
        case goAway
    }

    var reason: Reason

    var description: String {
        switch self.reason {
        case .refusedStream: "stream refused by the target"
        case .goAway: "stream not processed: the target's connection is going away (GOAWAY)"
        }
    }
}
