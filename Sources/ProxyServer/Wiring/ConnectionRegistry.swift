import NIOConcurrencyHelpers
import NIOCore

/// The open client connections of every listener, so a graceful shutdown can ask each to finish
/// its request and then close, and a reload can tell each about its listener's new settings.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        var channel: any Channel
        var listener: String
    }

    private let channels = NIOLockedValueBox<[ObjectIdentifier: Entry]>([:])

    func add(_ channel: any Channel, listener: String) {
        let id = ObjectIdentifier(channel)
        self.channels.withLockedValue { $0[id] = Entry(channel: channel, listener: listener) }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
    }

    var count: Int { self.channels.withLockedValue { $0.count } }

    var all: [any Channel] { self.channels.withLockedValue { $0.values.map(\.channel) } }

    /// The open connections of `listener`.
    func channels(of listener: String) -> [any Channel] {
        self.channels.withLockedValue { $0.values.filter { $0.listener == listener }.map(\.channel) }
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
