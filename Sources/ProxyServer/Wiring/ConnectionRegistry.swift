import NIOConcurrencyHelpers
import NIOCore

/// The open client connections of every listener, so a graceful shutdown can ask each to finish
/// its request and then close, and a reload can tell each about its listener's new settings.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        var channel: any Channel
        var listener: String
        /// The listening socket that accepted it (a listener re-bound by a reload has a new one).
        var socket: ObjectIdentifier
    }

    private let channels = NIOLockedValueBox<[ObjectIdentifier: Entry]>([:])

    func add(_ channel: any Channel, listener: String, socket: ObjectIdentifier) {
        let id = ObjectIdentifier(channel)
        self.channels.withLockedValue { $0[id] = Entry(channel: channel, listener: listener, socket: socket) }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
    }

    var count: Int { self.channels.withLockedValue { $0.count } }

    var all: [any Channel] { self.channels.withLockedValue { $0.values.map(\.channel) } }

    /// The open connections accepted by one listening socket.
    func channels(acceptedBy socket: ObjectIdentifier) -> [any Channel] {
        self.channels.withLockedValue { $0.values.filter { $0.socket == socket }.map(\.channel) }
    }

    /// Open connections by listener name.
    func countsByListener() -> [String: Int] {
        self.channels.withLockedValue { entries in
            var counts: [String: Int] = [:]
            for entry in entries.values { counts[entry.listener, default: 0] += 1 }
            return counts
        }
    }
}
