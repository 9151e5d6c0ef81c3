import Foundation
import ProxyConfig

/// Talks to a running Portcullis's admin API: what `portcullis targets`, `reload` and `deploy`
/// use. Every call is one request; errors carry the API's own message.
public struct AdminClient: Sendable {
    public var host: String
    public var port: Int
    public var token: String?
    public var timeout: Duration

    /// - Parameter address: `host:port` (default `127.0.0.1:9901`), optionally `http://`-prefixed.
    public init(address: String, token: String? = nil, timeout: Duration = .seconds(10)) throws {
        var text = Substring(address)
        if text.hasPrefix("http://") { text = text.dropFirst("http://".count) }
        if text.hasSuffix("/") { text = text.dropLast() }
        // A bare host (no port) means the default admin port.
        let hasPort = text.hasPrefix("[") ? text.contains("]:") : text.contains(":")
        switch BindAddress.parseTarget(hasPort ? String(text) : "\(text):9901") {
        case .success(let parsed):
            self.host = parsed.host
            self.port = parsed.port
        case .failure(let problem):
            throw AdminClientError(message: "bad admin address \"\(address)\": \(problem.message)")
        }
        self.token = token
        self.timeout = timeout
    }

    /// Sends one request; a non-2xx answer throws with the API's error message.
    func call(_ method: String, _ path: String, json: String? = nil, timeout: Duration? = nil) async throws -> [UInt8] {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let token = self.token { headers.append(("Authorization", "Bearer \(token)")) }
        if json != nil { headers.append(("Content-Type", "application/json")) }
        let client = PlainHTTPClient(host: self.host, port: self.port, timeout: timeout ?? self.timeout)
        let response: PlainHTTPClient.Response
        do {
            response = try await client.request(method, path, headers: headers, body: json.map { Array($0.utf8) })
        } catch {
            throw AdminClientError(message: "cannot reach the admin API at \(self.host):\(self.port): \(error)")
        }
        guard (200..<300).contains(response.status) else {
            let message = (try? JSONDecoder().decode(AdminModels.Problem.self, from: Data(response.body)))?.error ?? response.text
            throw AdminClientError(message: "\(response.status): \(message)", status: response.status)
        }
        return response.body
    }

    func decode<Value: Decodable>(_ type: Value.Type, _ body: [UInt8]) throws -> Value {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: Data(body))
    }

    static func path(_ group: String, _ target: String? = nil, _ action: String? = nil) -> String {
        var path = "/target-groups/\(Self.escaped(group))/targets"
        if let target { path += "/\(Self.escaped(target))" }
        if let action { path += "/\(action)" }
        return path
    }

    private static func escaped(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#[]"))) ?? segment
    }

    // MARK: Commands (text for people)

    /// `GET /status`, as JSON text.
    public func statusJSON() async throws -> String {
        String(decoding: try await self.call("GET", "/status"), as: UTF8.self)
    }

    /// `GET /fleet`, as JSON text: every live instance of the fleet this one belongs to.
    public func fleetJSON() async throws -> String {
        String(decoding: try await self.call("GET", "/fleet"), as: UTF8.self)
    }

    /// The targets of a group as a table.
    public func targetsTable(group: String) async throws -> String {
        let targets = try self.decode([AdminModels.Target].self, try await self.call("GET", Self.path(group)))
        return Self.table(targets)
    }

    public func drain(group: String, target: String, wait: Bool, timeoutSeconds: Double) async throws -> String {
        let body = "{\"wait\": \(wait), \"timeout_seconds\": \(timeoutSeconds)}"
        let result = try self.decode(
            AdminModels.DrainResult.self,
            try await self.call("POST", Self.path(group, target, "drain"), json: body, timeout: .seconds(Int64(timeoutSeconds) + 10))
        )
        switch result.outcome {
        case "drained": return "\(result.target.id): drained (in-flight 0 after \(Self.seconds(result.waitedSeconds)))"
        case "timed_out":
            throw AdminClientError(message: "\(result.target.id): still \(result.inFlight) in flight after \(Self.seconds(result.waitedSeconds))")
        default: return "\(result.target.id): draining (\(result.inFlight) in flight)"
        }
    }

    public func attach(group: String, target: String, immediately: Bool) async throws -> String {
        let view = try self.decode(
            AdminModels.Target.self,
            try await self.call("POST", Self.path(group, target, "attach"), json: "{\"immediately\": \(immediately)}")
        )
        return immediately
            ? "\(view.id): attached, serving"
            : "\(view.id): attached; serving once it passes its health checks (state \(view.state))"
    }

    public func register(group: String, address: String, weight: Int?, name: String?) async throws -> String {
        var fields = ["\"address\": \(ConfigurationJSON.quoted(address))"]
        if let weight { fields.append("\"weight\": \(weight)") }
        if let name { fields.append("\"name\": \(ConfigurationJSON.quoted(name))") }
        let view = try self.decode(AdminModels.Target.self, try await self.call("POST", Self.path(group), json: "{\(fields.joined(separator: ", "))}"))
        return "\(view.id): registered in \(group) (state \(view.state))"
    }

    public func deregister(group: String, target: String) async throws -> String {
        let result = try self.decode(AdminModels.Deregistered.self, try await self.call("DELETE", Self.path(group, target)))
        return "\(result.deregistered): deregistered from \(group)"
    }

    public func setWeight(group: String, target: String, weight: Int) async throws -> String {
        let view = try self.decode(AdminModels.Target.self, try await self.call("PUT", Self.path(group, target, "weight"), json: "{\"weight\": \(weight)}"))
        return "\(view.id): weight \(view.weight)"
    }

    public func reload() async throws -> String {
        let result = try self.decode(AdminModels.Reloaded.self, try await self.call("POST", "/reload", timeout: .seconds(60)))
        let summary = result.summary
        var parts: [String] = []
        if !summary.listenersAdded.isEmpty { parts.append("listeners added: \(summary.listenersAdded.joined(separator: ", "))") }
        if !summary.listenersRemoved.isEmpty { parts.append("listeners removed: \(summary.listenersRemoved.joined(separator: ", "))") }
        if !summary.listenersUpdated.isEmpty { parts.append("listeners updated: \(summary.listenersUpdated.joined(separator: ", "))") }
        if !summary.targetGroupsAdded.isEmpty { parts.append("target groups added: \(summary.targetGroupsAdded.joined(separator: ", "))") }
        if !summary.targetGroupsReplaced.isEmpty { parts.append("target groups changed: \(summary.targetGroupsReplaced.joined(separator: ", "))") }
        if !summary.targetGroupsRemoved.isEmpty { parts.append("target groups removed: \(summary.targetGroupsRemoved.joined(separator: ", "))") }
        if !summary.needsRestart.isEmpty { parts.append("needs a restart to apply: \(summary.needsRestart.joined(separator: ", "))") }
        return "reloaded" + (parts.isEmpty ? " (no changes)" : "; " + parts.joined(separator: "; "))
    }

    static func table(_ targets: [AdminModels.Target]) -> String {
        var rows = [["TARGET", "NAME", "STATE", "HEALTH", "WEIGHT", "IN-FLIGHT", "LAST PROBE"]]
        for target in targets {
            rows.append([
                target.id, target.name, target.state + (target.ejected ? " (ejected)" : ""), target.health, String(target.weight),
                String(target.inFlight), target.lastProbe ?? "-",
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func seconds(_ value: Double) -> String {
        String(format: "%.1fs", value)
    }
}

/// An admin API call failed; ``message`` is for people.
public struct AdminClientError: Error, CustomStringConvertible {
    public var message: String
    public var status: Int?

    public init(message: String, status: Int? = nil) {
        self.message = message
        self.status = status
    }

    public var description: String { self.message }
}
