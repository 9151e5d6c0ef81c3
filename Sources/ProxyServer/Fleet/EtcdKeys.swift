/// Where a fleet keeps its state in etcd: everything under `/portcullis/NAME/`.
///
/// - `config`: the configuration (YAML), written by `portcullis config push`;
/// - `targets/GROUP/TARGET`: the operator's wish for one target (``FleetTargetRecord``);
/// - `instances/ID`: each live instance's view (``FleetInstanceView``), under its lease;
/// - `tickets`: the shared session-ticket keys, sealed (``FleetTicketKeys``);
/// - `election/tickets`: who rotates them (the instance ID, under that instance's lease).
public struct EtcdKeys: Sendable, Equatable {
    public var fleet: String

    public init(fleet: String) {
        self.fleet = fleet
    }

    /// A fleet name is one path segment of letters, digits, `-`, `_` and `.`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 128 && name != "." && name != ".."
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
    }

    public var root: String { "/portcullis/\(self.fleet)/" }
    public var config: String { self.root + "config" }
    public var targetsPrefix: String { self.root + "targets/" }
    public var instancesPrefix: String { self.root + "instances/" }
    public var tickets: String { self.root + "tickets" }
    public var ticketElection: String { self.root + "election/tickets" }

    public func target(group: String, target: String) -> String {
        self.targetsPrefix + group + "/" + target
    }

    public func instance(_ id: String) -> String {
        self.instancesPrefix + id
    }

    /// The end of the range holding every key that starts with `prefix` (etcd's `range_end`:
    /// the prefix with its last byte incremented).
    public static func rangeEnd(ofPrefix prefix: String) -> [UInt8] {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return [0]
    }
}
