/// Round robin: each candidate in turn, `weight` requests each per cycle.
///
/// Uses smooth weighted round robin, as nginx does. On every pick each candidate's score grows
/// by its weight, the highest score wins (the earliest in group order on a tie), and the winner's
/// score drops by the total weight. While the candidates stay the same, every cycle of
/// `sum(weight)` picks gives each candidate exactly `weight` picks, and the picks of a heavy
/// target are spread through the cycle instead of bunched: weights 5/1/1 give `a a b a c a a`.
///
/// Scores are kept by ``Target/id``. A candidate that drops out for a while (at its connection
/// limit, ejected) keeps its score and resumes where it left off; scores of targets that stay
/// away are forgotten once they outnumber the candidates.
public struct RoundRobinPicker: TargetPicker, Sendable {
    private(set) var scores: [String: Int] = [:]

    public init() {}

    public mutating func pick(from candidates: [BalancingCandidate], for request: RequestKey) -> Target? {
        guard candidates.count > 1 else { return candidates.first?.target }
        var total = 0
        var best = 0
        var bestScore = Int.min
        for (index, candidate) in candidates.enumerated() {
            let weight = max(candidate.weight, 1)
            total += weight
            let score = self.scores[candidate.target.id, default: 0] + weight
            self.scores[candidate.target.id] = score
            if score > bestScore {
                bestScore = score
                best = index
            }
        }
        let winner = candidates[best].target
        self.scores[winner.id, default: 0] -= total
        if self.scores.count > candidates.count * 2 {
            // Targets left for good (reload, scale-in): keep the table as small as the group.
            let live = Set(candidates.map(\.target.id))
            self.scores = self.scores.filter { live.contains($0.key) }
        }
        return winner
    }
}
