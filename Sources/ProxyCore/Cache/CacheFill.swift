import NIOCore

/// A fill of a ``ResponseCache`` key that one request carries out: ended once, storing a
/// response or not; a fill let go of without ending (the client went, the target failed)
/// ends storing nothing, so its waiters never wait for ever.
///
/// > Important: Used on one event loop (the session's).
final class CacheFill {
    let cache: ResponseCache
    let key: String
    let id: CacheFillTable<ResponseCache.Waiter>.FillID
    private var finished = false

    init(cache: ResponseCache, key: String, id: CacheFillTable<ResponseCache.Waiter>.FillID) {
        self.cache = cache
        self.key = key
        self.id = id
    }

    func finish(storing response: StoredResponse?) {
        guard !self.finished else { return }
        self.finished = true
        self.cache.finish(self.key, id: self.id, storing: response)
    }

    /// The target failed (`status`: what the client would get for it): nothing is stored, and
    /// the waiters may answer with a stale response within `stale-if-error`.
    func fail(status: UInt) {
        guard !self.finished else { return }
        self.finished = true
        self.cache.finish(self.key, id: self.id, storing: nil, failure: status)
    }

    deinit {
        if !self.finished {
            self.cache.finish(self.key, id: self.id, storing: nil)
        }
    }
}
