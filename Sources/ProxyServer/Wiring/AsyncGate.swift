import NIOConcurrencyHelpers

/// One at a time, in arrival order, across suspension points: what an actor does not give
/// (an actor lets other calls in at every `await`).
///
/// The server runs reloads, operator changes to targets and the start of a shutdown through one
/// gate, so a drain made while a reload rebuilds a target group is never applied to the group
/// being replaced, and a reload never installs listeners after shutdown began.
final class AsyncGate: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    func withExclusive<Result: Sendable>(_ body: () async throws -> Result) async rethrows -> Result {
        await self.acquire()
        defer { self.release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = self.state.withLockedValue { state -> Bool in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func release() {
        let next = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()  // handed over: stays busy
        }
        next?.resume()
    }
}
