/// Least connections: the candidate with the fewest requests in flight for its weight.
///
/// Compares `inFlight / weight` exactly, without floating point, by cross-multiplying:
/// `a` is less loaded than `b` when `a.inFlight * b.weight < b.inFlight * a.weight`. So a
/// weight-2 target is given twice the requests in flight of a weight-1 target before the two
/// count as equally loaded.
///
/// Candidates that tie for the lowest load share requests by smooth weighted round robin (as
/// nginx's `least_conn` does), so a lightly loaded group, where every target often has nothing
/// in flight, still rotates through its targets in proportion to their weights instead of
/// always sending to the first.
public struct LeastConnectionsPicker: TargetPicker, Sendable {
    private var tieBreaker = RoundRobinPicker()

    public init() {}

    public mutating func pick(from candidates: [BalancingCandidate], for request: RequestKey) -> Target? {
        guard candidates.count > 1 else { return candidates.first?.target }
        var tied: [BalancingCandidate] = []
        for candidate in candidates {
            guard let leader = tied.first else {
                tied.append(candidate)
                continue
            }
            switch Self.compareLoad(candidate, leader) {
            case .lower:
                tied = [candidate]
            case .equal:
                tied.append(candidate)
            case .higher:
                break
            }
        }
        return self.tieBreaker.pick(from: tied, for: request)
    }

    enum LoadOrder {
        case lower
        case equal
        case higher
    }

    /// Orders `a` against `b` by `inFlight / weight`, exactly.
    static func compareLoad(_ a: BalancingCandidate, _ b: BalancingCandidate) -> LoadOrder {
        // Saturate instead of trapping: absurd counts only make a target look fully loaded.
        let left = a.inFlight.multipliedReportingOverflow(by: max(b.weight, 1))
        let right = b.inFlight.multipliedReportingOverflow(by: max(a.weight, 1))
        let l = left.overflow ? Int.max : left.partialValue
        let r = right.overflow ? Int.max : right.partialValue
        return l < r ? .lower : (l == r ? .equal : .higher)
    }
}
