import ProxyCore

/// The JSON payload and the environment variables that describe a firing to its hooks.
extension ScalingFiring {
    /// The JSON object posted to the webhook and passed to `exec` as `PORTCULLIS_PAYLOAD`, on one line:
    ///
    ///     {"event":"scaling_threshold","target_group":"web","rule":"scale-out",
    ///      "condition":"requests_per_target_per_second > 200 for 60s","metric":"requests_per_target_per_second",
    ///      "value":231.5,"threshold":200,"targets":3,"healthy_targets":3,"fired_at":"2025-06-01T12:00:00Z"}
    public var payload: String {
        let fields: [(String, String)] = [
            ("event", Self.jsonString("scaling_threshold")),
            ("target_group", Self.jsonString(self.targetGroup)),
            ("rule", Self.jsonString(self.rule)),
            ("condition", Self.jsonString(self.condition)),
            ("metric", Self.jsonString(self.metric)),
            ("value", Self.jsonNumber(self.value)),
            ("threshold", Self.jsonNumber(self.threshold)),
            ("targets", String(self.targets)),
            ("healthy_targets", String(self.healthyTargets)),
            ("fired_at", Self.jsonString(Self.rfc3339(secondsSinceEpoch: self.firedAt))),
        ]
        return "{" + fields.map { "\(Self.jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// The variables added to an `exec` hook's environment.
    public var environment: [(String, String)] {
        [
            ("PORTCULLIS_TARGET_GROUP", self.targetGroup),
            ("PORTCULLIS_RULE", self.rule),
            ("PORTCULLIS_METRIC", self.metric),
            ("PORTCULLIS_VALUE", Self.format(self.value)),
            ("PORTCULLIS_THRESHOLD", Self.format(self.threshold)),
            ("PORTCULLIS_PAYLOAD", self.payload),
        ]
    }

    /// `200` for whole numbers, otherwise at most three decimals: `231.333`.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 1000).rounded() / 1000
        if rounded.rounded() == rounded, abs(rounded) < 1e15 {
            return String(Int64(rounded))
        }
        return String(rounded)
    }

    private static func jsonNumber(_ value: Double) -> String {
        value.isFinite ? Self.format(value) : "null"
    }

    static func jsonString(_ text: String) -> String {
        JSONText.quoted(text)
    }

    /// `2025-06-01T12:00:00Z`: RFC 3339 in UTC, whole seconds.
    static func rfc3339(secondsSinceEpoch seconds: Int64) -> String {
        Timestamp(unixMilliseconds: seconds * 1000).rfc3339Seconds
    }
}
