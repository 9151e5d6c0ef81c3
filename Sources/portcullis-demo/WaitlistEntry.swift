import Foundation

/// One signup: what the form sent, validated, plus the instance that recorded it and when.
struct WaitlistEntry: Sendable {
    /// Unique per form (a hidden field), so a signup recorded twice is visible in the store.
    var id: String
    var email: String
    var instance: String
    /// Unix time in milliseconds.
    var at: Int64

    /// Why a request body was refused (answered with 400).
    struct Invalid: Error {
        var reason: String
    }

    /// Reads `id` and `email` from a form body (`id=...&email=...`) or a JSON body
    /// (`{"id": "...", "email": "..."}`), chosen by the request's Content-Type.
    init(body: [UInt8], contentType: String?, instance: String, at: Date = Date()) throws(Invalid) {
        let mediaType = contentType?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased() ?? "application/x-www-form-urlencoded"
        let fields: [String: String]
        switch mediaType {
        case "application/x-www-form-urlencoded":
            fields = try Self.formFields(body)
        case "application/json":
            fields = try Self.jsonFields(body)
        default:
            throw Invalid(reason: "unsupported content type \(mediaType)")
        }

        guard let id = fields["id"], Self.isValidID(id) else {
            throw Invalid(reason: "id must be 1 to 128 characters of A-Z a-z 0-9 - _")
        }
        guard let email = fields["email"], Self.isPlausibleEmail(email) else {
            throw Invalid(reason: "email is missing or not an address")
        }
        self.id = id
        self.email = email
        self.instance = instance
        self.at = Int64((at.timeIntervalSince1970 * 1000).rounded())
    }

    /// The store's record: one line of JSON, keys in a fixed order.
    var jsonLine: String {
        #"{"id":\#(Self.quoted(id)),"email":\#(Self.quoted(email)),"instance":\#(Self.quoted(instance)),"at":\#(at)}"#
            + "\n"
    }

    // MARK: - Parsing and validation

    private static func formFields(_ body: [UInt8]) throws(Invalid) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decoded = parts.map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard decoded.count == 2, let key = decoded[0], let value = decoded[1] else {
                throw Invalid(reason: "malformed form body")
            }
            fields[key] = value
        }
        return fields
    }

    private static func jsonFields(_ body: [UInt8]) throws(Invalid) -> [String: String] {
        struct Body: Decodable {
            var id: String?
            var email: String?
        }
        guard let decoded = try? JSONDecoder().decode(Body.self, from: Data(body)) else {
            throw Invalid(reason: "malformed JSON body")
        }
        return ["id": decoded.id, "email": decoded.email].compactMapValues { $0 }
    }

    private static func isValidID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default:
                    false
                }
            }
    }

    /// Deliberately loose: something@something, printable, at most 254 bytes.
    private static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return email.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && email.unicodeScalars.allSatisfy { !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7F }
    }

    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
