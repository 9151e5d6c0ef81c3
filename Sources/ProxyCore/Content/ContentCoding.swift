/// `Accept-Encoding` negotiation (RFC 9110 §12.5.3): which of the codings a response can be sent
/// in the client accepts, best first. Pure; shared by whatever serves encoded bodies.
public enum ContentCoding {
    /// The coding of `offered` (in the server's order of preference) that `acceptEncoding`
    /// accepts with the highest q-value (ties: the server's order); `nil` when it accepts none
    /// of them (or sent no `Accept-Encoding`: then only `identity` is safe to assume).
    ///
    /// `*` stands for every coding not named; `q=0` refuses; names compare without case;
    /// `x-gzip` is `gzip`.
    public static func preferred(_ offered: [String], acceptEncoding: String?) -> String? {
        guard let acceptEncoding else { return nil }
        let accepted = Self.parse(acceptEncoding)
        var best: (coding: String, q: Int)?
        for coding in offered {
            let q = accepted[coding] ?? accepted["*"] ?? 0
            guard q > 0 else { continue }
            if best == nil || q > best!.q {
                best = (coding, q)
            }
        }
        return best?.coding
    }

    /// The codings named in an `Accept-Encoding` value and their q-values in thousandths.
    static func parse(_ value: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for element in value.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let first = parts.first else { continue }
            var name = first.trimmingSpaces().lowercased()
            if name.isEmpty { continue }
            if name == "x-gzip" { name = "gzip" }
            var q = 1000
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingSpaces().lowercased() == "q" else { continue }
                q = Self.qValue(pair[1].trimmingSpaces()) ?? 0
            }
            result[name] = max(result[name] ?? 0, q)
        }
        return result
    }

    /// A q-value (`0`, `0.5`, `1.000`) in thousandths; `nil` when malformed.
    static func qValue(_ text: some StringProtocol) -> Int? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, whole.count == 1, let unit = Int(whole), unit <= 1 else { return nil }
        var fraction = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard digits.count <= 3, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
            fraction = Int(String(digits) + String(repeating: "0", count: 3 - digits.count)) ?? 0
        }
        let value = unit * 1000 + fraction
        return value <= 1000 ? value : nil
    }
}

extension ContentCoding {
    /// Every coding of `offered` that `acceptEncoding` accepts, best first (q-value, then the
    /// server's order); empty without an `Accept-Encoding`.
    public static func acceptable(_ offered: [String], acceptEncoding: String?) -> [String] {
        guard let acceptEncoding else { return [] }
        let accepted = Self.parse(acceptEncoding)
        let ranked = offered.enumerated().compactMap { position, coding -> (String, Int, Int)? in
            let q = accepted[coding] ?? accepted["*"] ?? 0
            return q > 0 ? (coding, q, position) : nil
        }
        return ranked.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 < $1.2 }.map(\.0)
    }
}
