import Foundation

/// One key of etcd with its revisions (the JSON gateway's `mvccpb.KeyValue`, decoded).
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// The revision of the last change of this key.
    public var modRevision: Int64
    public var createRevision: Int64
    public var lease: Int64

    public init(key: String, value: [UInt8], modRevision: Int64, createRevision: Int64 = 0, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.modRevision = modRevision
        self.createRevision = createRevision
        self.lease = lease
    }

    public var text: String { String(decoding: self.value, as: UTF8.self) }
}

/// A change seen by a watch.
public struct EtcdEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case put
        case delete
    }

    public var kind: Kind
    public var keyValue: EtcdKeyValue
}

/// The JSON of etcd v3.4's gRPC gateway: 64-bit numbers are strings, bytes are base64, fields at
/// their zero value are left out.
enum EtcdJSON {
    struct Header: Decodable {
        var revision: String?
    }

    struct KeyValue: Decodable {
        var key: String?
        var value: String?
        var mod_revision: String?
        var create_revision: String?
        var lease: String?

        func decoded() throws -> EtcdKeyValue {
            guard let key = self.key, let keyBytes = Data(base64Encoded: key) else {
                throw EtcdError.malformed("a key that is not base64")
            }
            let value = try self.value.map { text -> [UInt8] in
                guard let bytes = Data(base64Encoded: text) else { throw EtcdError.malformed("a value that is not base64") }
                return Array(bytes)
            } ?? []
            return EtcdKeyValue(
                key: String(decoding: keyBytes, as: UTF8.self),
                value: value,
                modRevision: Int64(self.mod_revision ?? "0") ?? 0,
                createRevision: Int64(self.create_revision ?? "0") ?? 0,
                lease: Int64(self.lease ?? "0") ?? 0
            )
        }
    }

    struct RangeResponse: Decodable {
        var header: Header?
        var kvs: [KeyValue]?
    }

    struct TxnResponse: Decodable {
        var header: Header?
        var succeeded: Bool?
    }

    struct PutResponse: Decodable {
        var header: Header?
    }

    struct LeaseGrantResponse: Decodable {
        var ID: String?
        var TTL: String?
        var error: String?
    }

    struct LeaseKeepAliveResponse: Decodable {
        struct Result: Decodable {
            var ID: String?
            var TTL: String?
        }

        var result: Result?
    }

    struct Event: Decodable {
        var type: String?
        var kv: KeyValue?
    }

    struct WatchResult: Decodable {
        var header: Header?
        var created: Bool?
        var canceled: Bool?
        var cancel_reason: String?
        var compact_revision: String?
        var events: [Event]?
    }

    struct WatchMessage: Decodable {
        var result: WatchResult?
        var error: GatewayError?
    }

    struct GatewayError: Decodable {
        var message: String?
        var code: Int?
    }

    static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ bytes: [UInt8]) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw EtcdError.malformed("an answer that is not the expected JSON: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
    }
}

/// Why an etcd call failed.
public enum EtcdError: Error, CustomStringConvertible, Equatable {
    /// No connection, a timeout, or a connection closed early.
    case unreachable(String)
    /// etcd answered with an error status.
    case status(Int, String)
    /// The answer could not be decoded.
    case malformed(String)
    /// The watch was cancelled by etcd (compaction, a restart).
    case watchCancelled(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "etcd unreachable: \(detail)"
        case .status(let code, let message): "etcd answered \(code): \(message)"
        case .malformed(let detail): "etcd sent \(detail)"
        case .watchCancelled(let reason): "etcd cancelled the watch: \(reason)"
        }
    }
}
