/// The size syntax of the configuration file: a whole number of bytes with an optional unit.
///
/// `KB`, `MB`, `GB`, `TB` are powers of 1000; `KiB`, `MiB`, `GiB`, `TiB` are powers of 1024;
/// `B` or no unit means bytes. Units are case-insensitive and may follow a space: `16 KiB`.
enum ByteSizeSyntax {
    static let expectation =
        "expected a whole number of bytes with an optional unit, such as 512, 16KiB, 1MiB, 2GiB or 10KB"

    private static let units: [String: Int] = [
        "": 1, "b": 1,
        "kb": 1000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
        "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
    ]

    /// Parses `text`, or returns `nil` when it is not a size or does not fit in an `Int`.
    static func parse(_ text: String) -> Int? {
        let text = text.trimmingSpaces()
        let digits = text.prefix(while: \.isASCIIDigit)
        guard !digits.isEmpty, let value = Int(digits) else { return nil }
        let unit = String(text.dropFirst(digits.count)).trimmingSpaces().lowercased()
        guard let multiplier = Self.units[unit] else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    /// The shortest exact spelling of `bytes`, preferring binary units: `16KiB`, `1GiB`, `1500`.
    static func format(_ bytes: Int) -> String {
        for (unit, size) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= size && bytes % size == 0 {
            return "\(bytes / size)\(unit)"
        }
        return "\(bytes)"
    }
}
