/// Chooses which target receives the next request.
///
/// Each event loop owns its own picker, so a picker keeps mutable state without locks.
public protocol TargetPicker {
    /// Returns one of `candidates`, or `nil` when `candidates` is empty.
    mutating func pick(from candidates: [Target]) -> Target?
}

/// Round robin: visits the candidates in order, `weight` requests each per cycle.
///
/// Uses smooth weighted round robin, so weights are respected exactly over one cycle and picks
/// of a heavy target are spread out instead of bunched.
public struct RoundRobinPicker: TargetPicker {
    private var current: [String: Int] = [:]

    public init() {}

    public mutating func pick(from candidates: [Target]) -> Target? {
        guard candidates.count > 1 else { return candidates.first }
        var total = 0
        var best: Target?
        var bestScore = Int.min
        for target in candidates {
            let weight = max(target.weight, 1)
            total += weight
            let score = self.current[target.id, default: 0] + weight
            self.current[target.id] = score
            if score > bestScore {
                bestScore = score
                best = target
            }
        }
        if let best {
            self.current[best.id, default: 0] -= total
        }
        if self.current.count > candidates.count * 2 {
            // Targets left the group: forget their scores so the table stays small.
            let live = Set(candidates.map(\.id))
            self.current = self.current.filter { live.contains($0.key) }
        }
        return best
    }
}
