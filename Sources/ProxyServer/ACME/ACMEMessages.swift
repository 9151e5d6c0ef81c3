import Foundation

/// The ACME resources (RFC 8555 §7.1) the client reads, with only the members it uses.
struct ACMEDirectory: Decodable, Sendable, Equatable {
    var newNonce: String
    var newAccount: String
    var newOrder: String
}

/// An error document (RFC 7807, RFC 8555 §6.7).
struct ACMEProblem: Decodable, Sendable, Equatable, Error, CustomStringConvertible {
    var type: String
    var detail: String?
    var status: Int?

    static let badNonce = "urn:ietf:params:acme:error:badNonce"

    var isBadNonce: Bool { self.type == Self.badNonce }

    var description: String {
        let short = self.type.replacingOccurrences(of: "urn:ietf:params:acme:error:", with: "")
        return self.detail.map { "\(short): \($0)" } ?? short
    }
}

struct ACMEIdentifier: Codable, Sendable, Equatable {
    var type: String
    var value: String
}

struct ACMEOrder: Decodable, Sendable, Equatable {
    /// `pending`, `ready`, `processing`, `valid` or `invalid`.
    var status: String
    var authorizations: [String]
    var finalize: String
    var certificate: String?
    var error: ACMEProblem?
}

struct ACMEAuthorization: Decodable, Sendable, Equatable {
    /// `pending`, `valid`, `invalid`, `deactivated`, `expired` or `revoked`.
    var status: String
    var identifier: ACMEIdentifier
    var challenges: [ACMEChallenge]
}

struct ACMEChallenge: Decodable, Sendable, Equatable {
    var type: String
    var url: String
    var token: String?
    /// `pending`, `processing`, `valid` or `invalid`.
    var status: String
    var error: ACMEProblem?
}

enum ACMEDecoding {
    static func decode<Value: Decodable>(_ type: Value.Type, from body: [UInt8], what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            throw ACMEClientError.malformedResponse("\(what): \(error) in \(text)")
        }
    }
}
