public import NIOCore

/// Opens transport connections to targets.
///
/// The composition root implements it with sockets (`ClientBootstrap`); tests implement it with
/// `EmbeddedChannel`s. The returned channel must live on `eventLoop` and have an empty pipeline:
/// the ``UpstreamPool`` installs the HTTP handlers itself.
public protocol UpstreamConnector: Sendable {
    func connect(to target: Target, on eventLoop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<any Channel>
}
