import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The demo backend: the landing page of a new property, with a "join the waitlist" form.
///
/// Every instance appends signups to the same store file (the demo's "database"). `demo/demo.py`
/// runs three instances behind Portcullis and restarts them one at a time during a rolling deploy,
/// so the interesting part of this file is the shutdown: on SIGTERM or SIGINT the instance stops
/// accepting, answers every request it has already received, and only then exits.
@main
struct DemoBackend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis-demo",
        abstract: "Demo backend for Portcullis: a landing page with a waitlist form."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int

    @Option(help: "Waitlist file shared by all instances (one JSON object per line).")
    var store: String

    @Option(help: "Instance name, sent in X-Served-By (default: backend-<port>).")
    var name: String?

    @Option(help: "Seconds to wait before listening, to simulate a slow boot.")
    var bootDelay: Double = 0

    /// How long a shutdown waits for requests in flight before closing their connections anyway.
    static let shutdownGrace = TimeAmount.seconds(8)

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535") }
        guard bootDelay >= 0 else { throw ValidationError("--boot-delay must not be negative") }
    }

    func run() async throws {
        let name = self.name ?? "backend-\(port)"
        // A slow boot. Meanwhile SIGTERM keeps its default action and ends the process at once.
        if bootDelay > 0 {
            try await Task.sleep(for: .seconds(bootDelay))
        }

        // From here on SIGTERM and SIGINT no longer end the process; they start the shutdown below.
        let signals = TerminationSignals()
        let store = try WaitlistStore(path: self.store)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        // Succeeded by the ConnectionTracker once the listener and every connection are closed.
        let drained = group.any().makePromise(of: Void.self)

        let listener: any Channel
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionTracker(drained: drained, gracePeriod: Self.shutdownGrace)
                        )
                    }
                }
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // Keep-alive, pipelining and quiescing come with NIO's HTTP server pipeline.
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(
                            DemoHTTPHandler(instanceName: name, store: store)
                        )
                    }
                }
                .bind(host: host, port: port)
                .get()
        } catch {
            drained.fail(error)
            try? await group.shutdownGracefully()
            try? await store.shutdown()
            throw error
        }

        Self.log("\(name) listening on \(host):\(port)")
        let signalName = await signals.first()
        Self.log("\(name) got \(signalName): finishing requests in flight")

        // Close the listener and quiesce every connection (see ConnectionTracker), then wait.
        listener.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try await drained.futureResult.get()
        try await store.shutdown()
        try await group.shutdownGracefully()
        Self.log("\(name) stopped")
    }

    private static func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
