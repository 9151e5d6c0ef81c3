@testable import ProxyCore

extension BalancingCandidate {
    /// A candidate whose target is named `id`, for picker tests.
    static func named(_ id: String, weight: Int = 1, inFlight: Int = 0) -> BalancingCandidate {
        let target = Target(id: id, host: "\(id).internal", port: 8080, weight: weight, name: id)
        return BalancingCandidate(target: target, weight: weight, inFlight: inFlight)
    }
}

extension RequestKey {
    static let anyClient = RequestKey(clientAddress: "192.0.2.1")
}

extension TargetPicker {
    /// Picks `count` times from the same candidates and returns the chosen IDs.
    mutating func pickIDs(_ count: Int, from candidates: [BalancingCandidate], for request: RequestKey = .anyClient) -> [String] {
        (0..<count).compactMap { _ in self.pick(from: candidates, for: request)?.id }
    }
}

extension Array where Element == String {
    /// How often each ID occurs.
    var tally: [String: Int] {
        self.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }
}
