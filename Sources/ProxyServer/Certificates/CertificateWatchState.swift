/// Decides when a listener's watched certificate files have changed enough to be read again: a
/// pure state machine fed one observation per poll (decision 0020).
///
/// - The first observation of a listener (at start, or after a reload changed its files) is the
///   baseline: those files were just read.
/// - A change is acted on once the files have stayed the same for `settlePolls` polls, so a
///   writer that rewrites a file in place (certbot) or writes the certificate and then the key
///   is not caught midway.
/// - A refresh that fails is tried again up to `retries` times, 1, 2, 4, … polls apart: a pair
///   caught half-written (the certificate renewed, the key not yet) is retried, not left broken.
///   Any new change starts over.
struct CertificateWatchState {
    /// The files of one listener and their signatures (`nil`: missing).
    typealias Observation = [String: FileSignature?]

    private struct Entry {
        var seen: Observation
        /// Polls the files have been unchanged since a change not yet acted on.
        var settling: Int?
        /// Polls to wait before the next retry of a failed refresh.
        var retryIn: Int?
        var retriesLeft: Int
        var nextRetryDelay = 1
    }

    let settlePolls: Int
    let retries: Int
    private var entries: [String: Entry] = [:]

    init(settlePolls: Int, retries: Int) {
        self.settlePolls = settlePolls
        self.retries = retries
    }

    /// Takes one poll's observations, by listener (listeners not watched are absent), and
    /// returns the listeners to refresh now, sorted by name.
    mutating func poll(_ observations: [String: Observation]) -> [String] {
        self.entries = self.entries.filter { observations[$0.key] != nil }
        var refresh: [String] = []
        for (listener, observed) in observations {
            guard var entry = self.entries[listener], Set(entry.seen.keys) == Set(observed.keys) else {
                self.entries[listener] = Entry(seen: observed, retriesLeft: self.retries)
                continue
            }
            if entry.seen != observed {
                entry.seen = observed
                entry.settling = 0
                entry.retryIn = nil
                entry.retriesLeft = self.retries
                entry.nextRetryDelay = 1
            } else if let settling = entry.settling {
                if settling + 1 >= self.settlePolls {
                    entry.settling = nil
                    refresh.append(listener)
                } else {
                    entry.settling = settling + 1
                }
            } else if let retryIn = entry.retryIn {
                if retryIn <= 1 {
                    entry.retryIn = nil
                    refresh.append(listener)
                } else {
                    entry.retryIn = retryIn - 1
                }
            }
            self.entries[listener] = entry
        }
        return refresh.sorted()
    }

    /// A refresh asked for by ``poll(_:)`` failed: plans a retry while any are left.
    /// - Returns: Whether it will be tried again.
    mutating func refreshFailed(_ listener: String) -> Bool {
        guard var entry = self.entries[listener], entry.retriesLeft > 0 else { return false }
        entry.retriesLeft -= 1
        entry.retryIn = entry.nextRetryDelay
        entry.nextRetryDelay *= 2
        self.entries[listener] = entry
        return true
    }

    /// A refresh asked for by ``poll(_:)`` succeeded: no retry pending.
    mutating func refreshSucceeded(_ listener: String) {
        guard var entry = self.entries[listener] else { return }
        entry.retryIn = nil
        entry.retriesLeft = self.retries
        entry.nextRetryDelay = 1
        self.entries[listener] = entry
    }
}
