/// A JSON value (RFC 8259), as read by a strict parser.
///
/// Numbers keep the text they were written with, so a large integer claim such as a 20-digit
/// user id is never rounded through `Double`; ``numberValue`` converts on demand. Objects are
/// dictionaries: the parser refuses duplicate member names, so there is no "first or last wins"
/// question for two readers of one document to answer differently.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// A number's text exactly as written, such as `1716200000` or `-0.5e3`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// How many arrays and objects may nest inside each other unless the caller says otherwise.
    public static let defaultMaximumDepth = 32

    /// Parses one JSON document.
    ///
    /// Strict: the input must be UTF-8; no comments, trailing commas, leading zeros, control
    /// characters in strings, lone surrogates in `\u` escapes or duplicate member names; only
    /// whitespace may surround the value.
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 text, such as `text.utf8`.
    ///   - maximumDepth: How many arrays and objects may nest. Deeper input is refused rather than
    ///     risking the stack.
    /// - Throws: ``JSONParseError`` with the byte offset of the first problem.
    public init(parsing bytes: some Collection<UInt8>, maximumDepth: Int = Self.defaultMaximumDepth)
        throws(JSONParseError)
    {
        let parsed: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in try JSONParser.parse(buffer, maximumDepth: maximumDepth) }
        }
        if let parsed {
            self = try parsed.get()
        } else {
            self = try Array(bytes).withUnsafeBufferPointer { buffer throws(JSONParseError) in
                try JSONParser.parse(buffer, maximumDepth: maximumDepth)
            }
        }
    }

    /// The member named `key` when this is an object; `nil` otherwise.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// The text when this is a string; `nil` otherwise.
    public var stringValue: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }

    /// The value when this is a number that fits a finite `Double`; `nil` otherwise.
    public var numberValue: Double? {
        guard case .number(let text) = self, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// The elements when this is an array; `nil` otherwise.
    public var arrayValue: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    /// The members when this is an object; `nil` otherwise.
    public var objectValue: [String: JSONValue]? {
        guard case .object(let members) = self else { return nil }
        return members
    }
}
