/// The fills in progress, by key: the first miss for a key fetches it from the target, later
/// misses for the same key wait for that fetch instead of sending their own (no thundering
/// herd). Pure; ``ResponseCache`` holds it under its lock. `Waiter` is what is told once the
/// fill ends.
public struct CacheFillTable<Waiter> {
    /// A fill's identity: a late ``finish(_:id:)`` of a fill that was replaced does nothing.
    public typealias FillID = UInt64

    private var fills: [String: (id: FillID, waiters: [Waiter])] = [:]
    private var nextID: FillID = 0

    public init() {}

    public enum Begin {
        /// This request fetches the key; it calls ``finish(_:id:)`` with this id when done.
        case fill(FillID)
        /// Another request is fetching the key: this waiter (made by `waiter`) was added.
        case wait(Waiter)
    }

    /// A miss for `key`: the filler, or one more waiter (`waiter` makes it, only then).
    public mutating func begin(_ key: String, waiter: () -> Waiter) -> Begin {
        if self.fills[key] != nil {
            let made = waiter()
            self.fills[key]!.waiters.append(made)
            return .wait(made)
        }
        return .fill(self.start(key))
    }

    /// Starts a fill for `key` when none is in progress (a background revalidation); `nil` when one is.
    public mutating func beginIfIdle(_ key: String) -> FillID? {
        self.fills[key] == nil ? self.start(key) : nil
    }

    private mutating func start(_ key: String) -> FillID {
        self.nextID &+= 1
        self.fills[key] = (self.nextID, [])
        return self.nextID
    }

    /// Whether a fill for `key` is in progress.
    public func isFilling(_ key: String) -> Bool { self.fills[key] != nil }

    /// The fill ended (stored, or not): its waiters, to be told.
    public mutating func finish(_ key: String, id: FillID) -> [Waiter] {
        guard let fill = self.fills[key], fill.id == id else { return [] }
        self.fills[key] = nil
        return fill.waiters
    }

    public var count: Int { self.fills.count }
}

extension CacheFillTable: Sendable where Waiter: Sendable {}
