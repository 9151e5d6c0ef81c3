/// What one target group holds from DNS, and what each new answer changes: the diff between
/// the targets the answers name and those the group has, as actions for its
/// ``TargetGroupMonitor`` (decision 0032).
///
/// Pure: answers in, actions out. Each source (a `dns:` or `srv:` entry) keeps its last good
/// answer; a failed resolution changes nothing. A target named by any source is wanted. A
/// wanted target that is new is registered (health checks and slow start apply); one that
/// vanished is drained, then deregistered once nothing is in flight to it (or after the drain
/// limit); one that comes back while draining is attached again. One an operator removed is
/// withdrawn: left alone while DNS names it.
public struct TargetDiscoveryState: Sendable {
    /// A target the group has because DNS named it.
    public struct Entry: Sendable, Hashable {
        public var target: DiscoveredTarget
        /// Gone from every answer; deregistered once idle.
        public var draining: Bool
        /// When it started draining (for the drain limit); `nil` while wanted.
        public var drainingSince: Duration?
    }

    public enum Action: Sendable, Hashable {
        case register(DiscoveredTarget)
        case setWeight(id: String, weight: Int)
        case drain(id: String)
        /// Named again while draining: back into rotation through its health checks.
        case attach(id: String)
        case deregister(id: String)
    }

    /// By target id.
    public private(set) var entries: [String: Entry] = [:]
    /// The last good answer of each source, by source index.
    public private(set) var answers: [Int: [DiscoveredTarget]] = [:]
    /// Targets an operator removed from the group (deregistered through the admin API or the
    /// fleet) while DNS named them: neither registered again nor carried into a monitor that
    /// replaces the group's (a reload) while an answer names them; forgotten once none does, so
    /// an address that comes back later is a new target.
    public private(set) var withdrawn: Set<String> = []

    public init() {}

    /// Starts from targets the group already has from DNS (a reload that replaced the group's
    /// monitor carries them over), as wanted.
    public init(carrying targets: [DiscoveredTarget], draining: Set<String> = []) {
        for target in targets {
            self.entries[target.id] = Entry(target: target, draining: draining.contains(target.id), drainingSince: nil)
        }
    }

    /// Records a source's new answer and returns what changes.
    ///
    /// - Parameter now: A monotonic time, for the drain limit.
    public mutating func record(_ answer: [DiscoveredTarget], source: Int, now: Duration) -> [Action] {
        self.answers[source] = answer
        return self.reconcile(now: now)
    }

    /// A registration failed (the address is a target of the group already, written in the
    /// file): the entry is forgotten, so it is neither drained nor deregistered later.
    public mutating func registrationFailed(id: String) {
        self.entries[id] = nil
    }

    /// An operator removed `id` from the group: DNS leaves it alone while an answer names it.
    public mutating func withdraw(_ id: String) {
        self.entries[id] = nil
        self.withdrawn.insert(id)
    }

    /// Withdraws the entries the group no longer has (`present`: the ids of its targets now):
    /// only an operator removes a target DNS registered and has not deregistered itself.
    ///
    /// - Returns: The ids withdrawn now.
    @discardableResult
    public mutating func withdrawMissing(present: Set<String>) -> [String] {
        let missing = self.entries.keys.filter { !present.contains($0) }.sorted()
        for id in missing {
            self.withdraw(id)
        }
        return missing
    }

    /// Renumbers the sources after a reload (`mapping`: old index → new index); sources not in
    /// it are dropped with their answers (their targets drain at the next answer recorded).
    public mutating func renumber(_ mapping: [Int: Int]) {
        var answers: [Int: [DiscoveredTarget]] = [:]
        for (old, answer) in self.answers {
            if let new = mapping[old] { answers[new] = answer }
        }
        self.answers = answers
    }

    /// The draining targets to deregister now: `inFlight` has none for them, or they have drained
    /// for `limit`. They are forgotten.
    public mutating func finishDrains(inFlight: [String: Int], now: Duration, limit: Duration) -> [Action] {
        var actions: [Action] = []
        for (id, entry) in self.entries.sorted(by: { $0.key < $1.key }) where entry.draining {
            let idle = (inFlight[id] ?? 0) == 0
            let expired = entry.drainingSince.map { now - $0 >= limit } ?? false
            if idle || expired {
                self.entries[id] = nil
                actions.append(.deregister(id: id))
            }
        }
        return actions
    }

    /// Whether any target is draining (the caller then polls in-flight counts).
    public var isDraining: Bool { self.entries.values.contains { $0.draining } }

    /// The targets every source names now: the union, the first source naming an id deciding
    /// its weight.
    public var wanted: [DiscoveredTarget] {
        var seen: Set<String> = []
        var result: [DiscoveredTarget] = []
        for source in self.answers.keys.sorted() {
            for target in self.answers[source] ?? [] where seen.insert(target.id).inserted {
                result.append(target)
            }
        }
        return result
    }

    private mutating func reconcile(now: Duration) -> [Action] {
        let wanted = self.wanted
        let wantedIDs = Set(wanted.map(\.id))
        var actions: [Action] = []
        self.withdrawn.formIntersection(wantedIDs)
        for target in wanted where !self.withdrawn.contains(target.id) {
            guard var entry = self.entries[target.id] else {
                self.entries[target.id] = Entry(target: target, draining: false, drainingSince: nil)
                actions.append(.register(target))
                continue
            }
            if entry.draining {
                entry.draining = false
                entry.drainingSince = nil
                actions.append(.attach(id: target.id))
            }
            if entry.target.weight != target.weight {
                actions.append(.setWeight(id: target.id, weight: target.weight))
            }
            entry.target = target
            self.entries[target.id] = entry
        }
        for (id, entry) in self.entries.sorted(by: { $0.key < $1.key }) where !wantedIDs.contains(id) && !entry.draining {
            self.entries[id]?.draining = true
            self.entries[id]?.drainingSince = now
            actions.append(.drain(id: id))
        }
        return actions
    }
}
