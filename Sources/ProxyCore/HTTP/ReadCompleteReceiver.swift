import NIOCore

/// A handler that its neighbour below calls directly with the end of a read, instead of firing
/// `channelReadComplete` through the pipeline (decision 0010): the call stands for the event on
/// the receiver's own context, so the receiver must be the caller's next inbound handler.
protocol ReadCompleteReceiver: AnyObject {
    func receiveReadComplete()
}

/// A handler that its neighbour below calls directly with received bytes as well.
protocol InboundBytesReceiver: ReadCompleteReceiver {
    func receive(_ data: NIOAny)
}
