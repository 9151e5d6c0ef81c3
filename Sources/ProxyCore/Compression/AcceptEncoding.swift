/// Picks the content coding of a response from the request's `Accept-Encoding` (RFC 9110
/// §12.5.3): a pure function, tested on its own.
///
/// - Each member is `coding[;q=value]`; names compare case-insensitively, with optional
///   whitespace around `,`, `;` and `=`; `x-gzip` counts as gzip.
/// - A coding's weight is its own member's, else the `*` member's, else 0: not acceptable.
///   `q=0` refuses it. Members we cannot read (a malformed weight) and codings we do not
///   offer are ignored.
/// - The highest weight above 0 wins; a tie goes to the earlier coding in `offered` (the
///   route's preference order).
/// - `identity` keeps the response as it is when the client names it with a weight above every
///   coding offered (`gzip;q=0.5, identity`); `identity;q=0` cannot be honoured when no coding is
///   acceptable, and the response then goes out as it is (RFC 9110 lets a server do so).
/// - No `Accept-Encoding` at all: as it is (RFC 9110 allows any coding, but clients that send
///   none, such as scripts and load generators, mostly cannot decode one).
public enum AcceptEncoding {
    /// The coding to send, or `nil` for the response as it is.
    /// - Parameters:
    ///   - values: Every `Accept-Encoding` field line of the request, in order (`[]`: none).
    ///   - offered: The codings the route offers, preferred first.
    public static func negotiate(_ values: [String], offered: [ContentCoding]) -> ContentCoding? {
        guard !values.isEmpty, !offered.isEmpty else { return nil }
        let weights = Self.weights(values)
        var best: ContentCoding?
        var bestWeight = 0
        for coding in offered {
            let weight = weights.of(coding)
            if weight > bestWeight {
                best = coding
                bestWeight = weight
            }
        }
        // identity competes only when the client names it: an implicit identity (acceptable
        // by default) does not outweigh a coding the client asked for, even with a low q.
        if best != nil, weights.identity > bestWeight {
            return nil
        }
        return best
    }

    /// Every coding of `offered` the client accepts, best first (weight, then `offered`'s
    /// order), by the same rules as ``negotiate(_:offered:)``: its first element is what that
    /// returns. For a server that has several representations ready and takes the best one it
    /// has (precompressed static files). Empty: the representation as it is.
    public static func acceptable(_ values: [String], offered: [ContentCoding]) -> [ContentCoding] {
        guard !values.isEmpty, !offered.isEmpty else { return [] }
        let weights = Self.weights(values)
        let ranked = offered.enumerated()
            .map { (coding: $0.element, weight: weights.of($0.element), position: $0.offset) }
            .filter { $0.weight > 0 }
            .sorted { $0.weight != $1.weight ? $0.weight > $1.weight : $0.position < $1.position }
        guard let top = ranked.first, weights.identity <= top.weight else { return [] }
        return ranked.map(\.coding)
    }

    /// The weights an `Accept-Encoding` gives, in thousandths; -1: not mentioned.
    struct Weights {
        var zstd = -1
        var br = -1
        var gzip = -1
        var star = -1
        var identity = -1

        /// A coding's own weight, else the `*` member's, else -1 (not acceptable).
        func of(_ coding: ContentCoding) -> Int {
            let own: Int
            switch coding {
            case .zstd: own = self.zstd
            case .br: own = self.br
            case .gzip: own = self.gzip
            }
            return own < 0 ? self.star : own
        }
    }

    static func weights(_ values: [String]) -> Weights {
        var weights = Weights()
        for value in values {
            for member in value.split(separator: ",") {
                guard let (name, weight) = Self.member(member) else { continue }
                if let coding = ContentCoding(token: name) {
                    switch coding {
                    case .zstd: weights.zstd = max(weights.zstd, weight)
                    case .br: weights.br = max(weights.br, weight)
                    case .gzip: weights.gzip = max(weights.gzip, weight)
                    }
                } else if name == "*" {
                    weights.star = max(weights.star, weight)
                } else if ContentCoding.equals(name, "identity") {
                    weights.identity = max(weights.identity, weight)
                }
            }
        }
        return weights
    }

    /// One member's coding name and weight in thousandths; `nil` when it cannot be read.
    static func member(_ member: Substring) -> (Substring, Int)? {
        var parts = member.split(separator: ";", omittingEmptySubsequences: false).makeIterator()
        guard let first = parts.next() else { return nil }
        let name = Self.trimmed(first)
        guard !name.isEmpty else { return nil }
        var weight = 1000
        while let parameter = parts.next() {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { return nil }
            let key = Self.trimmed(pair[0])
            guard key.count == 1, key == "q" || key == "Q" else { continue }  // other parameters: ignored
            guard let parsed = Self.weight(Self.trimmed(pair[1])) else { return nil }
            weight = parsed
        }
        return (name, weight)
    }

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths.
    static func weight(_ text: Substring) -> Int? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var value = first == UInt8(ascii: "1") ? 1000 : 0
        guard bytes.count > 1 else { return value }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var scale = 100
        for digit in bytes[2...] {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            if first == UInt8(ascii: "1") && digit != UInt8(ascii: "0") { return nil }
            value += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
