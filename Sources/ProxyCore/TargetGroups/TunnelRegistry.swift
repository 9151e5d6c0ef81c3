/// The open tunnels of one event loop, so that a drain which runs out of time can close the
/// ones to its target. A tunnel adds itself when its `101` is forwarded and removes itself when
/// it closes; a handful at a time, usually none.
///
/// > Important: Event-loop bound, like its ``ProxyLoop``.
final class TunnelRegistry {
    private var open: [(session: ForwardingSession, target: String)] = []

    var count: Int { self.open.count }

    func opened(_ session: ForwardingSession, target: String) {
        self.open.append((session, target))
    }

    func closed(_ session: ForwardingSession, target: String) {
        self.open.removeAll { $0.session === session }
    }

    /// Closes every tunnel to `target`; returns how many.
    func closeAll(to target: String) -> Int {
        let closing = self.open.filter { $0.target == target }
        for entry in closing {
            entry.session.closeTunnel(to: target)
        }
        return closing.count
    }
}
