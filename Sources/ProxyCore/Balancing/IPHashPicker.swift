#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Client IP hash: a client keeps reaching the same target while the candidates stay the same.
///
/// Uses weighted rendezvous hashing (highest random weight). For each candidate the picker
/// hashes the pair (``RequestKey/clientAddress``, ``Target/id``) to a number `u` in (0, 1)
/// and scores it `-weight / ln(u)`; the highest score wins. So:
/// - the choice depends only on the client and the set of candidates, not on earlier picks,
///   the candidates' order, the event loop or the process: every loop and every proxy instance
///   sends a client to the same target;
/// - a candidate with twice the weight gets about twice the clients;
/// - when a target leaves, only its own clients move, and they spread over the rest; when one
///   joins a group of N, about 1/(N+1) of the clients move, all of them to the new target.
///
/// The hash is ``StableHash`` (FNV-1a with a SplitMix64 finalizer), not Swift's per-process
/// seeded `Hasher`. Each pick costs one hash per candidate.
public struct IPHashPicker: TargetPicker, Sendable {
    public init() {}

    public mutating func pick(from candidates: [BalancingCandidate], for request: RequestKey) -> Target? {
        guard candidates.count > 1 else { return candidates.first?.target }
        var clientHash = StableHash()
        clientHash.combine(request.clientAddress)
        var best = 0
        var bestScore = -Double.infinity
        for (index, candidate) in candidates.enumerated() {
            let score = Self.score(client: clientHash, target: candidate.target.id, weight: candidate.weight)
            if score > bestScore {
                bestScore = score
                best = index
            }
        }
        return candidates[best].target
    }

    /// The rendezvous score of one target for one client: `-weight / ln(u)`, always positive.
    ///
    /// - Parameters:
    ///   - client: A hash that has been fed the client address only.
    ///   - target: The target's ``Target/id``.
    ///   - weight: The target's effective weight; values below 1 count as 1.
    static func score(client: StableHash, target: String, weight: Int) -> Double {
        var hash = client
        hash.combine(target)
        let u = StableHash.unitInterval(hash.finalize())
        return -Double(max(weight, 1)) / log(u)
    }
}
