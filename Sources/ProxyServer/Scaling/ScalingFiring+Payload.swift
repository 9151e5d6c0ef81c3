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
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    /// `2025-06-01T12:00:00Z`: RFC 3339 in UTC, whole seconds.
    static func rfc3339(secondsSinceEpoch seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        // Howard Hinnant's civil_from_days: days since 1970-01-01 to a proleptic Gregorian date.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }
}
