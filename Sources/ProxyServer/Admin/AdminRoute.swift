/// What an admin API request asks for. Produced by ``AdminRoute/match(method:path:)``, a pure
/// function, so the URL scheme is tested without sockets.
enum AdminRoute: Equatable, Sendable {
    case status
    case certificates
    case config
    case healthz
    case ready
    case metrics
    case reload
    case fleet
    case listTargets(group: String)
    case register(group: String)
    case deregister(group: String, target: String)
    case weight(group: String, target: String)
    case drain(group: String, target: String)
    case attach(group: String, target: String)
    case recheck(group: String, target: String)
    /// `DELETE /cache?prefix=/assets` or `?tag=x` (or `?all=true`): the query as sent.
    case purgeCache(query: String)

    /// Why no route matched.
    enum Mismatch: Error, Equatable {
        case notFound
        /// The path exists with other methods.
        case methodNotAllowed(allowed: [String])
    }

    /// Whether the route may be used without the bearer token (probes from load balancers and
    /// orchestrators).
    var isPublic: Bool {
        switch self {
        case .healthz, .ready: true
        default: false
        }
    }

    static func match(method: String, path rawPath: String) -> Result<AdminRoute, Mismatch> {
        let path = rawPath.split(separator: "?", maxSplits: 1).first.map(String.init) ?? rawPath
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { Self.percentDecoded(String($0)) }
        func only(_ allowed: String, _ route: AdminRoute) -> Result<AdminRoute, Mismatch> {
            method == allowed ? .success(route) : .failure(.methodNotAllowed(allowed: [allowed]))
        }
        switch segments.count {
        case 1:
            switch segments[0] {
            case "status": return only("GET", .status)
            case "certificates": return only("GET", .certificates)
            case "config": return only("GET", .config)
            case "healthz": return method == "HEAD" ? .success(.healthz) : only("GET", .healthz)
            case "ready": return method == "HEAD" ? .success(.ready) : only("GET", .ready)
            case "metrics": return only("GET", .metrics)
            case "reload": return only("POST", .reload)
            case "cache":
                let query = rawPath.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
                return only("DELETE", .purgeCache(query: query))
            case "fleet": return only("GET", .fleet)
            default: return .failure(.notFound)
            }
        case 3 where segments[0] == "target-groups" && segments[2] == "targets":
            switch method {
            case "GET": return .success(.listTargets(group: segments[1]))
            case "POST": return .success(.register(group: segments[1]))
            default: return .failure(.methodNotAllowed(allowed: ["GET", "POST"]))
            }
        case 4 where segments[0] == "target-groups" && segments[2] == "targets":
            return only("DELETE", .deregister(group: segments[1], target: segments[3]))
        case 5 where segments[0] == "target-groups" && segments[2] == "targets":
            let group = segments[1]
            let target = segments[3]
            switch segments[4] {
            case "weight":
                return method == "PUT" || method == "POST"
                    ? .success(.weight(group: group, target: target)) : .failure(.methodNotAllowed(allowed: ["PUT", "POST"]))
            case "drain": return only("POST", .drain(group: group, target: target))
            case "attach": return only("POST", .attach(group: group, target: target))
            case "recheck": return only("POST", .recheck(group: group, target: target))
            default: return .failure(.notFound)
            }
        default:
            return .failure(.notFound)
        }
    }

    /// `%5B%3A%3A1%5D%3A8080` → `[::1]:8080`. Invalid escapes are kept as written.
    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
