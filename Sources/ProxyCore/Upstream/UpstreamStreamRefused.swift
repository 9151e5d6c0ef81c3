/// An h2c target refused a stream before processing it: `RST_STREAM` with `REFUSED_STREAM`, or
/// the stream was above the last stream id of the target's `GOAWAY` (RFC 9113 §8.7). Nothing
/// of the request was acted on, so it may go to another target whatever its method.
struct UpstreamStreamRefused: Error, CustomStringConvertible {
    var description: String { "stream refused by the target" }
}
