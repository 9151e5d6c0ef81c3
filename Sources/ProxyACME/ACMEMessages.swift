import Foundation

/// The ACME resources (RFC 8555 §7.1) the client reads, with only the members it uses.
public struct ACMEDirectory: Decodable, Sendable, Equatable {
    public var newNonce: String
    public var newAccount: String
    public var newOrder: String

    public init(newNonce: String, newAccount: String, newOrder: String) {
        self.newNonce = newNonce
        self.newAccount = newAccount
        self.newOrder = newOrder
    }
}

/// An error document (RFC 7807, RFC 8555 §6.7).
public struct ACMEProblem: Decodable, Sendable, Equatable, Error, CustomStringConvertible {
    public var type: String
    public var detail: String?
    public var status: Int?

    public static let badNonce = "urn:ietf:params:acme:error:badNonce"

    public var isBadNonce: Bool { self.type == Self.badNonce }

    public var description: String {
        let short = self.type.replacingOccurrences(of: "urn:ietf:params:acme:error:", with: "")
        return self.detail.map { "\(short): \($0)" } ?? short
    }
}

public struct ACMEIdentifier: Codable, Sendable, Equatable {
    public var type: String
    public var value: String
}

public struct ACMEOrder: Decodable, Sendable, Equatable {
    /// `pending`, `ready`, `processing`, `valid` or `invalid`.
    public var status: String
    public var authorizations: [String]
    public var finalize: String
    public var certificate: String?
    public var error: ACMEProblem?
}

public struct ACMEAuthorization: Decodable, Sendable, Equatable {
    /// `pending`, `valid`, `invalid`, `deactivated`, `expired` or `revoked`.
    public var status: String
    public var identifier: ACMEIdentifier
    public var challenges: [ACMEChallenge]
}

public struct ACMEChallenge: Decodable, Sendable, Equatable {
    public var type: String
    public var url: String
    public var token: String?
    /// `pending`, `processing`, `valid` or `invalid`.
    public var status: String
    public var error: ACMEProblem?
}

public enum ACMEDecoding {
    public static func decode<Value: Decodable>(_ type: Value.Type, from body: [UInt8], what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            throw ACMEClientError.malformedResponse("\(what): \(error) in \(text)")
        }
    }
}
