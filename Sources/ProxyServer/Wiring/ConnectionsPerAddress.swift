import NIOConcurrencyHelpers

/// `limits.connections_per_ip`: the open connections of one listener by client address, over
/// every event loop. Taken at accept and given back at close (a lock per accept and close, not
/// per request).
final class ConnectionsPerAddress: Sendable {
    let limit: Int
    private let counts = NIOLockedValueBox([String: Int]())

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts a new connection from `address`, unless it already has `limit` open.
    func open(_ address: String) -> Bool {
        self.counts.withLockedValue { counts in
            let open = counts[address, default: 0]
            guard open < self.limit else { return false }
            counts[address] = open + 1
            return true
        }
    }

    func closed(_ address: String) {
        self.counts.withLockedValue { counts in
            let open = counts[address, default: 0] - 1
            counts[address] = open > 0 ? open : nil
        }
    }

    /// Addresses with a connection open (for tests).
    var addressCount: Int { self.counts.withLockedValue { $0.count } }
}
