/// Finds the closest valid spelling for a mistyped name, for "did you mean …?" hints.
enum Suggestion {
    /// The candidate most like `word`, if one is close enough to be a likely typo.
    ///
    /// A candidate is close enough when its edit distance is at most a third of the word's length
    /// (at least 2), when one of the underscore- or hyphen-separated parts of `word` is the
    /// candidate itself, as in `tls_cert` for `tls`, or when `word` is an abbreviation of the
    /// candidate of at least three letters, as in `addr` for `address`.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        let parts = Set(lowered.split(whereSeparator: { $0 == "_" || $0 == "-" }).map(String.init))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = Self.editDistance(lowered, candidate.lowercased())
            let isClose =
                distance <= max(2, lowered.count / 3)
                || parts.contains(candidate.lowercased())
                || (lowered.count >= 3 && candidate.lowercased().hasPrefix(lowered))
            if isClose, distance < best?.distance ?? .max {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// ` (did you mean "x"?)`, or the empty string when nothing is close.
    static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        Self.closest(to: word, in: candidates).map { " (did you mean \"\($0)\"?)" } ?? ""
    }

    /// Levenshtein distance, counted in characters.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let lhs = Array(lhs)
        let rhs = Array(rhs)
        guard !lhs.isEmpty else { return rhs.count }
        guard !rhs.isEmpty else { return lhs.count }
        var previous = Array(0...rhs.count)
        var current = previous
        for i in 1...lhs.count {
            current[0] = i
            for j in 1...rhs.count {
                let substitution = previous[j - 1] + (lhs[i - 1] == rhs[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[rhs.count]
    }
}
