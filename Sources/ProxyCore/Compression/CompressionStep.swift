/// What a compression call does after taking its input: keep it (the library may hold some
/// back to compress better), flush (everything so far can be decoded from the output), or end
/// the stream.
enum CompressionStep {
    case process
    case flush
    case finish
}
