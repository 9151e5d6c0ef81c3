import Foundation
import ProxyConfig

/// The fleet's shared state in etcd, read and written: what `portcullis config push`,
/// `portcullis targets … --etcd` and each instance's admin API use.
public struct FleetControl: Sendable {
    public var client: EtcdClient
    public var keys: EtcdKeys

    public init(client: EtcdClient, keys: EtcdKeys) {
        self.client = client
        self.keys = keys
    }

    // MARK: Configuration

    /// The configuration in etcd, or `nil` when none was pushed.
    public func configuration() async throws -> EtcdKeyValue? {
        try await self.client.get(self.keys.config).keyValue
    }

    /// Writes `yaml` if the configuration in etcd is still at `expectedRevision` (0: none yet):
    /// two operators cannot overwrite each other. The new revision.
    public func push(yaml: String, expectedRevision: Int64) async throws -> Int64 {
        if let revision = try await self.client.put(self.keys.config, Array(yaml.utf8), ifModRevision: expectedRevision) {
            return revision
        }
        let current = try await self.configuration()?.modRevision ?? 0
        throw FleetError.conflict(expected: expectedRevision, current: current)
    }

    // MARK: Instances

    /// The live instances' views, by ID.
    public func instances() async throws -> [FleetInstanceView] {
        let (keyValues, _) = try await self.client.list(prefix: self.keys.instancesPrefix)
        return keyValues.compactMap { try? JSONDecoder().decode(FleetInstanceView.self, from: Data($0.value)) }
    }

    /// Every key under `instances/`, by instance ID; `nil` for a value that does not decode.
    public func instanceEntries() async throws -> [String: FleetInstanceView?] {
        let (keyValues, _) = try await self.client.list(prefix: self.keys.instancesPrefix)
        var entries: [String: FleetInstanceView?] = [:]
        for keyValue in keyValues {
            entries[String(keyValue.key.dropFirst(self.keys.instancesPrefix.count))] = .some(
                try? JSONDecoder().decode(FleetInstanceView.self, from: Data(keyValue.value))
            )
        }
        return entries
    }

    // MARK: Targets

    public func targetRecords() async throws -> (records: [EtcdKeyValue], revision: Int64) {
        let (keyValues, revision) = try await self.client.list(prefix: self.keys.targetsPrefix)
        return (keyValues, revision)
    }

    /// Applies `operation` to the target's record with a compare-and-swap (retried when another
    /// writer got there first). The revision of the write.
    public func change(group: String, target: String, _ operation: FleetTargetOperation) async throws -> Int64 {
        let key = self.keys.target(group: group, target: target)
        for _ in 0..<20 {
            let current = try await self.client.get(key).keyValue
            let record = current.flatMap { try? JSONDecoder().decode(FleetTargetRecord.self, from: Data($0.value)) }
            let updated = operation.applied(to: record, target: target)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let value = Array(try encoder.encode(updated))
            if let revision = try await self.client.put(key, value, ifModRevision: current?.modRevision ?? 0) {
                return revision
            }
        }
        throw FleetError.busy(key)
    }

    /// Waits until every live instance has applied the drain written at `revision` and has no
    /// request in flight to the target, or until `deadline`. An instance live at the start whose
    /// view goes away is reported, not counted as done.
    public func waitDrained(group: String, target: String, revision: Int64, deadline: ContinuousClock.Instant) async throws -> FleetDrainProgress {
        var expected: Set<String> = []
        while true {
            let views = try await self.instanceEntries()
            expected.formUnion(views.keys)
            let progress = FleetDrainProgress.evaluate(views, expected: expected, group: group, target: target, revision: revision)
            if case .drained = progress { return progress }
            if ContinuousClock.now >= deadline { return progress }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The target ID (`host:port`) that `reference` (an ID or a name) means in `group`: as the
    /// live instances know it, else as the configuration in etcd names it, else among the
    /// targets registered at run time.
    public func resolve(group: String, reference: String) async throws -> String {
        for view in try await self.instances() {
            if let target = view.targetGroups.first(where: { $0.name == group })?.targets.first(where: { $0.id == reference || $0.name == reference }) {
                return target.id
            }
        }
        if let stored = try await self.configuration(),
            let configuration = try? ProxyConfiguration.parse(yaml: stored.text, file: "etcd:\(self.keys.config)", baseDirectory: ".", checkFilesExist: false),
            let groupConfiguration = configuration.targetGroup(named: group),
            let target = groupConfiguration.targets.first(where: { $0.description == reference || $0.name == reference })
        {
            return target.description
        }
        for keyValue in try await self.client.list(prefix: self.keys.targetsPrefix + group + "/").keyValues {
            guard let record = try? JSONDecoder().decode(FleetTargetRecord.self, from: Data(keyValue.value)),
                record.registered == true, record.removed != true
            else { continue }
            if record.target == reference || record.name == reference { return record.target }
        }
        throw FleetError.unknown("no target \"\(reference)\" in target group \"\(group)\" (neither a live instance nor the configuration in etcd knows it)")
    }
}

/// Why a fleet operation failed.
public enum FleetError: Error, CustomStringConvertible, Equatable {
    case conflict(expected: Int64, current: Int64)
    case busy(String)
    case noConfiguration(String)
    case unknown(String)
    case noLocalCopy(String, String)
    case badSecret(String)

    public var description: String {
        switch self {
        case .conflict(let expected, let current):
            current == 0
                ? "the configuration in etcd was removed since revision \(expected); push with --revision 0"
                : "the configuration in etcd is at revision \(current), not \(expected): someone pushed in between; "
                    + "fetch it (portcullis config get), merge, and push again with --revision \(current)"
        case .busy(let key): "\(key) kept changing while being written; try again"
        case .noConfiguration(let key): "no configuration at \(key) (push one with portcullis config push)"
        case .unknown(let message): message
        case .noLocalCopy(let etcdError, let path): "\(etcdError), and there is no local copy at \(path) to start from"
        case .badSecret(let message): message
        }
    }
}
