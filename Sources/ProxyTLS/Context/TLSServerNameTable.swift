/// Maps an SNI host name to the certificate that serves it.
///
/// Rules, in order:
/// 1. An exact (case-insensitive) match against a certificate's SAN DNS names (its CN when it
///    has no SAN).
/// 2. A wildcard entry `*.example.com`, which matches exactly one extra label:
///    `foo.example.com` matches, `a.b.example.com` and `example.com` do not.
/// 3. Otherwise `nil`: the caller uses the default (first) certificate.
///
/// When two certificates claim the same name, the one listed first wins. Built once, read-only.
struct TLSServerNameTable: Sendable, Equatable {
    private var exact: [String: Int] = [:]
    /// Keyed by the parent domain of `*.parent`.
    private var wildcard: [String: Int] = [:]

    /// - Parameter names: For each certificate, in configuration order, the names it serves.
    init(names: [[String]]) {
        for (index, list) in names.enumerated() {
            for raw in list {
                let name = Self.normalize(raw)
                if name.hasPrefix("*.") {
                    let parent = String(name.dropFirst(2))
                    if !parent.isEmpty && self.wildcard[parent] == nil { self.wildcard[parent] = index }
                } else if !name.isEmpty && self.exact[name] == nil {
                    self.exact[name] = index
                }
            }
        }
    }

    /// The index of the certificate for `serverName`, or `nil` for "use the default".
    func certificateIndex(for serverName: String?) -> Int? {
        guard let serverName else { return nil }
        let name = Self.normalize(serverName)
        if let index = self.exact[name] { return index }
        guard let dot = name.firstIndex(of: "."), dot != name.startIndex else { return nil }
        let parent = String(name[name.index(after: dot)...])
        guard !parent.isEmpty else { return nil }
        return self.wildcard[parent]
    }

    private static func normalize(_ name: String) -> String {
        var lowered = name.lowercased()
        if lowered.hasSuffix(".") { lowered.removeLast() }
        return lowered
    }
}
