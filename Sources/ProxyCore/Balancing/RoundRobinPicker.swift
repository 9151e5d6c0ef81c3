/// Round robin: each candidate in turn, `weight` requests each per cycle.
///
/// Uses smooth weighted round robin, as nginx does. On every pick each candidate's score grows
/// by its weight, the highest score wins (the earliest in group order on a tie), and the winner's
/// score drops by the total weight. While the candidates stay the same, every cycle of
/// `sum(weight)` picks gives each candidate exactly `weight` picks, and the picks of a heavy
/// target are spread through the cycle instead of bunched: weights 5/1/1 give `a a b a c a a`.
///
/// Scores belong to a ``Target/id``. A candidate that drops out for a while (at its connection
/// limit, ejected) keeps its score and resumes where it left off; scores of targets that stay
/// away are forgotten once they outnumber the candidates.
///
/// The scores of the current candidates are kept by position: consecutive picks nearly always
/// see the same candidates in the same order, which is checked by comparing ids that are the
/// same strings (O(1) each), where a table by id hashed every id twice per pick. Other targets'
/// scores wait in a table by id until their target is a candidate again.
public struct RoundRobinPicker: TargetPicker, Sendable {
    /// The ids of the candidates of the last pick, in order, and their scores.
    private var currentIDs: [String] = []
    private var currentScores: [Int] = []
    /// Scores of targets that are not among the current candidates.
    private var parked: [String: Int] = [:]

    public init() {}

    /// Every score kept, by target id.
    var scores: [String: Int] {
        self.parked.merging(zip(self.currentIDs, self.currentScores)) { _, current in current }
    }

    public mutating func pick(from candidates: [BalancingCandidate], for request: RequestKey) -> Target? {
        guard candidates.count > 1 else { return candidates.first?.target }
        if !self.isCurrent(candidates) {
            self.makeCurrent(candidates)
        }
        var total = 0
        var best = 0
        var bestScore = Int.min
        for index in candidates.indices {
            let weight = max(candidates[index].weight, 1)
            total += weight
            self.currentScores[index] += weight
            if self.currentScores[index] > bestScore {
                bestScore = self.currentScores[index]
                best = index
            }
        }
        self.currentScores[best] -= total
        return candidates[best].target
    }

    private func isCurrent(_ candidates: [BalancingCandidate]) -> Bool {
        guard candidates.count == self.currentIDs.count else { return false }
        for index in candidates.indices where candidates[index].target.id != self.currentIDs[index] {
            return false
        }
        return true
    }

    /// Parks the scores of the last candidates and takes out those of `candidates` (0 for new
    /// ones).
    private mutating func makeCurrent(_ candidates: [BalancingCandidate]) {
        for (id, score) in zip(self.currentIDs, self.currentScores) {
            self.parked[id] = score
        }
        self.currentIDs = candidates.map(\.target.id)
        self.currentScores = self.currentIDs.map { self.parked[$0] ?? 0 }
        for id in self.currentIDs {
            self.parked[id] = nil
        }
        if self.parked.count + self.currentIDs.count > candidates.count * 2 {
            // Targets left for good (reload, scale-in): keep the table as small as the group.
            self.parked.removeAll()
        }
    }
}
