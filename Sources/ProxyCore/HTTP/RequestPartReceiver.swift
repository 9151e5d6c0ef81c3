import NIOHTTP1

/// The handler right above a ``RequestGuardHandler``, which the guard calls directly with the
/// request parts it lets through instead of firing them through the pipeline (a `NIOAny` box
/// and a dynamic cast per part; decision 0010).
///
/// The call stands for `channelRead` on the receiver's own context, so the receiver must be the
/// guard's next inbound handler: ``ClientHTTPHandlers`` links the two when it places them.
protocol RequestPartReceiver: ReadCompleteReceiver {
    /// - Parameter facts: With a head, what the parser noted about it (``RequestFacts``), when
    ///   it came straight from our decoder.
    func receiveRequestPart(_ part: HTTPServerRequestPart, facts: RequestFacts?)
}
