/// Turns the bytes of a `/v3/watch` response (one JSON object per line, as the gateway streams
/// them) into watch updates. Pure: fed whatever chunks the connection delivers.
struct EtcdWatchDecoder {
    /// What one streamed message says.
    enum Update: Equatable {
        /// The watch is registered; events follow from `revision` + 1.
        case created(revision: Int64)
        /// Changes, in revision order; `revision` is the store's revision when they were sent.
        case events([EtcdEvent], revision: Int64)
        /// The watch ended (compaction, a cancelled watch, an error from the gateway).
        case cancelled(String)
    }

    private var pending: [UInt8] = []
    /// A message longer than this is an error, not something to buffer forever.
    static let maximumMessage = 64 << 20

    mutating func feed(_ bytes: [UInt8]) throws -> [Update] {
        self.pending += bytes
        var updates: [Update] = []
        while let newline = self.pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(self.pending[..<newline])
            self.pending.removeSubrange(...newline)
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            updates.append(try Self.decode(line))
        }
        if self.pending.count > Self.maximumMessage {
            throw EtcdError.malformed("a watch message over \(Self.maximumMessage) bytes")
        }
        return updates
    }

    static func decode(_ line: [UInt8]) throws -> Update {
        let message = try EtcdJSON.decode(EtcdJSON.WatchMessage.self, line)
        if let error = message.error {
            return .cancelled(error.message ?? "error \(error.code ?? 0)")
        }
        guard let result = message.result else {
            throw EtcdError.malformed("a watch message without a result")
        }
        let revision = Int64(result.header?.revision ?? "0") ?? 0
        if result.canceled == true {
            var reason = result.cancel_reason ?? "cancelled"
            if let compacted = result.compact_revision { reason += " (compacted up to revision \(compacted))" }
            return .cancelled(reason)
        }
        if result.created == true, (result.events ?? []).isEmpty {
            return .created(revision: revision)
        }
        let events = try (result.events ?? []).map { event -> EtcdEvent in
            guard let keyValue = event.kv else { throw EtcdError.malformed("a watch event without a key") }
            return EtcdEvent(kind: event.type == "DELETE" ? .delete : .put, keyValue: try keyValue.decoded())
        }
        return .events(events, revision: revision)
    }
}
