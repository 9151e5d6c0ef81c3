/// A UTC wall-clock instant with millisecond precision, formatted without Foundation.
public struct Timestamp: Sendable, Hashable {
    public var unixMilliseconds: Int64

    public init(unixMilliseconds: Int64) {
        self.unixMilliseconds = unixMilliseconds
    }

    /// `2026-11-27T09:00:00.123Z`.
    public var rfc3339: String {
        let (year, month, day, hour, minute, second) = self.components
        let millis = Int(((self.unixMilliseconds % 1000) + 1000) % 1000)
        return "\(year)-\(Self.pad(month))-\(Self.pad(day))T\(Self.pad(hour)):\(Self.pad(minute)):\(Self.pad(second)).\(Self.pad(millis, width: 3))Z"
    }

    /// `2026-11-27T09:00:00Z`: RFC 3339 in whole seconds.
    public var rfc3339Seconds: String {
        let (year, month, day, hour, minute, second) = self.components
        return "\(Self.pad(year, width: 4))-\(Self.pad(month))-\(Self.pad(day))T\(Self.pad(hour)):\(Self.pad(minute)):\(Self.pad(second))Z"
    }

    /// `27/Nov/2026:09:00:00 +0000`, the common log format's time.
    public var commonLog: String {
        let (year, month, day, hour, minute, second) = self.components
        return "\(Self.pad(day))/\(Self.monthNames[month - 1])/\(year):\(Self.pad(hour)):\(Self.pad(minute)):\(Self.pad(second)) +0000"
    }

    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private var components: (Int, Int, Int, Int, Int, Int) {
        let seconds = self.unixMilliseconds >= 0 ? self.unixMilliseconds / 1000 : (self.unixMilliseconds - 999) / 1000
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secondOfDay / 3600, (secondOfDay % 3600) / 60, secondOfDay % 60)
    }

    private static func pad(_ value: Int, width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
