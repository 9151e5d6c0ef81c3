/// Passive health checking for one target group: ejects a target that fails several requests
/// in a row, for a time that grows each time it is ejected again.
///
/// The caller reports the outcome of every forwarded request with
/// ``record(targetID:success:now:groupSize:)``. A failure is a connection failure or a 5xx
/// response (the caller decides); anything else is a success and ends the target's streak of
/// failures. When the streak reaches ``Settings/consecutiveFailures`` the target is ejected
/// until `now + baseEjectionTime × n`, where `n` counts this target's ejections including this
/// one: 30 s, then 60 s, then 90 s with the defaults.
///
/// At most ``Settings/maxEjectionPercent`` of the group is ejected at once: an ejection happens
/// only if `(ejected + 1) × 100 <= maxEjectionPercent × groupSize`, so with 50% a single-target
/// group is never ejected. A target that reaches its streak while the limit is reached stays
/// un-ejected; its next failure tries again.
///
/// The type is pure: time is a `Duration` since any fixed epoch, passed in by the caller, who
/// also calls ``expire(now:)`` on a timer and carries out the returned actions.
public struct OutlierDetector: Sendable {
    /// How eagerly targets are ejected.
    ///
    /// Configuration keys (`target_groups.<name>.outlier_detection`): `enabled` (default
    /// `true`), `consecutive_failures` (default 5), `base_ejection_time` (default `30s`),
    /// `max_ejection_percent` (default 50).
    public struct Settings: Sendable, Hashable {
        /// Failures in a row that eject a target. At least 1.
        public var consecutiveFailures: Int
        /// How long the first ejection lasts; the n-th lasts n times this.
        public var baseEjectionTime: Duration
        /// The largest share of the group, in percent, ejected at the same time.
        public var maxEjectionPercent: Int
        /// When `false`, nothing is ever ejected.
        public var enabled: Bool

        public init(
            consecutiveFailures: Int = 5,
            baseEjectionTime: Duration = .seconds(30),
            maxEjectionPercent: Int = 50,
            enabled: Bool = true
        ) {
            self.consecutiveFailures = consecutiveFailures
            self.baseEjectionTime = baseEjectionTime
            self.maxEjectionPercent = maxEjectionPercent
            self.enabled = enabled
        }
    }

    /// What the owner should do.
    public enum Action: Equatable, Sendable {
        case none
        /// Take the target out of rotation until `until` (on the caller's clock).
        /// `ejectionCount` counts this target's ejections so far, this one included.
        case eject(targetID: String, until: Duration, ejectionCount: Int)
        /// The target's ejection has ended; put it back into rotation.
        case unejected(targetID: String)
    }

    private struct TargetRecord {
        var failureStreak = 0
        var ejectionCount = 0
        /// Set while ejected.
        var ejectedUntil: Duration?
    }

    public let settings: Settings
    private var records: [String: TargetRecord] = [:]

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Targets ejected now.
    public var ejectedCount: Int {
        self.records.values.count { $0.ejectedUntil != nil }
    }

    /// Whether `targetID` is ejected. Stays `true` after the ejection time passes until
    /// ``expire(now:)`` is called.
    public func isEjected(_ targetID: String) -> Bool {
        self.records[targetID]?.ejectedUntil != nil
    }

    /// Records the outcome of one request to a target.
    ///
    /// Outcomes for a target that is already ejected (requests that were in flight) change
    /// nothing: the ejection neither ends early nor grows.
    ///
    /// - Parameters:
    ///   - targetID: The ``Target/id`` the request went to.
    ///   - success: `false` for a connection failure or a 5xx response, `true` otherwise.
    ///   - now: The current time, as a `Duration` since the caller's fixed epoch.
    ///   - groupSize: Targets in the group now, ejected ones included.
    /// - Returns: ``Action/eject(targetID:until:ejectionCount:)`` when this failure ejects the
    ///   target, otherwise ``Action/none``.
    public mutating func record(targetID: String, success: Bool, now: Duration, groupSize: Int) -> Action {
        guard self.settings.enabled else { return .none }
        var record = self.records[targetID, default: TargetRecord()]
        guard record.ejectedUntil == nil else { return .none }
        defer { self.records[targetID] = record }
        if success {
            record.failureStreak = 0
            return .none
        }
        record.failureStreak += 1
        guard record.failureStreak >= max(self.settings.consecutiveFailures, 1),
            (self.ejectedCount + 1) * 100 <= self.settings.maxEjectionPercent * groupSize
        else { return .none }
        record.failureStreak = 0
        record.ejectionCount += 1
        let until = now + self.settings.baseEjectionTime * record.ejectionCount
        record.ejectedUntil = until
        return .eject(targetID: targetID, until: until, ejectionCount: record.ejectionCount)
    }

    /// Ends every ejection whose time has come.
    ///
    /// - Parameter now: The current time, on the same clock as in
    ///   ``record(targetID:success:now:groupSize:)``.
    /// - Returns: One ``Action/unejected(targetID:)`` per target put back, ordered by target ID.
    public mutating func expire(now: Duration) -> [Action] {
        var ended: [String] = []
        for (targetID, record) in self.records {
            if let until = record.ejectedUntil, until <= now {
                ended.append(targetID)
            }
        }
        ended.sort()
        for targetID in ended {
            self.records[targetID]?.ejectedUntil = nil
            self.records[targetID]?.failureStreak = 0
        }
        return ended.map { .unejected(targetID: $0) }
    }

    /// Ends `targetID`'s ejection now, because stronger evidence says it is back: an active
    /// health check just saw it become healthy again. Its ejection count is kept, so a relapse
    /// is ejected for longer.
    ///
    /// - Returns: ``Action/unejected(targetID:)`` if it was ejected, else ``Action/none``.
    public mutating func clear(_ targetID: String) -> Action {
        guard self.records[targetID]?.ejectedUntil != nil else { return .none }
        self.records[targetID]?.ejectedUntil = nil
        self.records[targetID]?.failureStreak = 0
        return .unejected(targetID: targetID)
    }
}
