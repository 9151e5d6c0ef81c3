import Foundation

/// Which configuration revision an instance runs and which it has tried: decides what to do
/// with each revision etcd shows it. Pure.
public struct FleetConfigState: Sendable, Equatable {
    /// The revision in effect (0: started from a local copy whose revision is unknown).
    public private(set) var appliedRevision: Int64
    /// The last revision that failed, and why.
    public private(set) var failedRevision: Int64?
    public private(set) var error: String?

    public init(appliedRevision: Int64) {
        self.appliedRevision = appliedRevision
    }

    public enum Decision: Sendable, Equatable {
        /// Validate and apply this text.
        case apply(String, revision: Int64)
        /// Already applied or already refused: nothing to do.
        case skip
    }

    /// What to do with the configuration key as read or watched (`nil`: deleted).
    public func decide(_ keyValue: EtcdKeyValue?) -> Decision {
        guard let keyValue else { return .skip }  // A deleted key leaves the running configuration alone.
        if keyValue.modRevision <= self.appliedRevision { return .skip }
        if let failed = self.failedRevision, keyValue.modRevision <= failed { return .skip }
        return .apply(keyValue.text, revision: keyValue.modRevision)
    }

    public mutating func applied(_ revision: Int64) {
        self.appliedRevision = revision
        self.failedRevision = nil
        self.error = nil
    }

    public mutating func failed(_ revision: Int64, error: String) {
        self.failedRevision = revision
        self.error = error
    }
}

/// The local copy of the last configuration applied: the YAML as pushed, with a last line
/// naming the revision (a comment, so the file stays a valid configuration and its line numbers
/// match the pushed text).
public enum FleetLocalCopy {
    static let marker = "# portcullis fleet revision "

    public static func render(yaml: String, revision: Int64) -> String {
        var text = yaml
        if !text.hasSuffix("\n") { text += "\n" }
        return text + Self.marker + String(revision) + "\n"
    }

    /// The revision the last marker line names, if any.
    public static func revision(in text: String) -> Int64? {
        for line in text.split(separator: "\n").reversed() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard trimmed.hasPrefix(Self.marker) else { return nil }
            return Int64(trimmed.dropFirst(Self.marker.count))
        }
        return nil
    }
}
