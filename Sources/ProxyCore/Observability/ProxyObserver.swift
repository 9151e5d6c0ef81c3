/// Watches the requests of one event loop: metrics, access log, scaling statistics.
///
/// Each event loop has its own observer (``ProxyLoop/observer``) and calls it only on that loop,
/// so an implementation can keep per-loop state without locks.
public protocol ProxyObserver: AnyObject {
    /// A request finished: answered, failed, or abandoned by the client.
    func requestCompleted(_ record: RequestRecord)
}
