import NIOConcurrencyHelpers

/// Small integers standing for target ids (`host:port`): equal ids get the same key in the whole
/// process, so the per-request tables of an event loop (idle connections, requests in flight)
/// are arrays indexed by the key instead of dictionaries hashing the id string on every request
/// (~380 instructions per lookup, five lookups per request).
///
/// Keys are handed out when a ``Target`` is made (configuration, attach), never on the request
/// path, and never reused: the table holds every id the process has seen, a few dozen bytes each.
enum TargetKeys {
    private static let table = NIOLockedValueBox<[String: Int]>([:])

    /// The key of `id`, the same for every call with an equal id.
    static func key(for id: String) -> Int {
        Self.table.withLockedValue { table in
            if let key = table[id] {
                return key
            }
            let key = table.count
            table[id] = key
            return key
        }
    }
}

extension Array {
    /// Makes `index` valid, filling with `filler`: for the tables indexed by ``TargetKeys``.
    mutating func grow(toInclude index: Int, with filler: Element) {
        if index >= self.count {
            self.append(contentsOf: repeatElement(filler, count: index - self.count + 1))
        }
    }
}
