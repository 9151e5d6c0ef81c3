/// Finds listeners that would try to bind the same socket address.
///
/// Two binds collide when they have the same port and the same host, or when one of them is a
/// wildcard that covers the other: `0.0.0.0` covers every IPv4 address and host name, `::`
/// covers everything (Linux binds `::` dual-stack).
enum BindConflicts {
    static func check(_ listeners: [ParsedListener], into problems: inout DiagnosticCollector) {
        var earlier: [(name: String, bind: Located<BindAddress>)] = []
        for listener in listeners {
            guard let bind = listener.bind else { continue }
            for other in earlier {
                switch Self.conflict(other.bind.value, bind.value) {
                case .same?:
                    problems.report(
                        at: bind,
                        "duplicate bind \(bind.value): listener \"\(other.name)\" (line \(other.bind.line)) already binds it"
                    )
                case .overlap?:
                    problems.report(
                        at: bind,
                        "bind \(bind.value) overlaps listener \"\(other.name)\" (\(other.bind.value), line \(other.bind.line))"
                    )
                case nil:
                    continue
                }
                break
            }
            earlier.append((listener.name.value, bind))
        }
    }

    enum Conflict {
        /// The same host and port.
        case same
        /// One is a wildcard covering the other's host, on the same port.
        case overlap
    }

    /// How binding both `first` and `second` would fail, or `nil` when it would not.
    static func conflict(_ first: BindAddress, _ second: BindAddress) -> Conflict? {
        // Port 0 asks the system for a free port each time: never a conflict.
        guard first.port == second.port, first.port != 0 else { return nil }
        if first.host == second.host {
            return .same
        }
        return Self.covers(first.host, second.host) || Self.covers(second.host, first.host) ? .overlap : nil
    }

    /// Whether binding `wildcard` also takes `host`'s address.
    private static func covers(_ wildcard: String, _ host: String) -> Bool {
        switch wildcard {
        case "::": true
        case "0.0.0.0": !host.contains(":")
        default: false
        }
    }
}
