import NIOConcurrencyHelpers
import NIOCore

/// The open client connections of every listener, so a graceful shutdown can ask each to finish
/// its request and then close.
final class ConnectionRegistry: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        self.channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
    }

    var count: Int { self.channels.withLockedValue { $0.count } }

    var all: [any Channel] { self.channels.withLockedValue { Array($0.values) } }
}
