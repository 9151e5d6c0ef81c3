import NIOCore

/// Lives in the listening channel's pipeline, remembers every accepted connection, and runs the
/// graceful shutdown when a `ChannelShouldQuiesceEvent` is fired into that pipeline:
///
/// 1. the listening socket is closed, so no new connection is accepted;
/// 2. every open connection gets the event too, and NIO's `HTTPServerPipelineHandler` closes it at
///    once if it is idle, or lets its request in flight finish, answers it with `Connection: close`
///    and closes it then;
/// 3. `drained` succeeds when the listener and every connection are closed. Connections still open
///    after `gracePeriod` are closed anyway, so a shutdown always ends.
///
/// All state is confined to the listening channel's event loop.
final class ConnectionTracker: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let drained: EventLoopPromise<Void>
    private let gracePeriod: TimeAmount
    private var connections: [ObjectIdentifier: any Channel] = [:]
    private var quiescing = false
    private var listenerClosed = false
    private var deadline: Scheduled<Void>?

    init(drained: EventLoopPromise<Void>, gracePeriod: TimeAmount) {
        self.drained = drained
        self.gracePeriod = gracePeriod
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = self.unwrapInboundIn(data)
        if quiescing {
            // Accepted in the instant before the listener closed: not ours to serve any more.
            connection.close(promise: nil)
            return
        }
        let key = ObjectIdentifier(connection)
        connections[key] = connection
        connection.closeFuture.hop(to: context.eventLoop).assumeIsolated().whenComplete { _ in
            self.connections[key] = nil
            self.finishIfDrained()
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard !quiescing else { return }
        quiescing = true

        context.close().assumeIsolated().whenComplete { _ in
            self.listenerClosed = true
            self.finishIfDrained()
        }
        for connection in connections.values {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: gracePeriod) {
            for connection in self.connections.values {
                connection.close(promise: nil)
            }
        }
    }

    private func finishIfDrained() {
        guard quiescing, listenerClosed, connections.isEmpty else { return }
        deadline?.cancel()
        deadline = nil
        drained.succeed(())
    }
}
