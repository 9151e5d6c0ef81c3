import NIOHTTP1

/// Turns a ``RequestRecord`` into one access-log line (without the newline).
///
/// Pure: the caller passes the wall-clock time, so every format is tested with fixed input.
public struct AccessLogFormatter: Sendable {
    public enum Format: String, Sendable, Hashable {
        /// `2026-11-27T09:00:00.123Z client "GET / HTTP/1.1" 200 123 key=value…`: readable,
        /// greppable, the default.
        case text
        /// One JSON object per line.
        case json
        /// NCSA combined: `client - - [27/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 123 "referer" "agent"`.
        case combined
        /// `GET /api/users 200 3.12ms`: what `portcullis dev` shows on the terminal.
        case dev
    }

    public var format: Format
    /// Whether ``Format/dev`` lines carry ANSI colours (the writer decides: standard output is
    /// a terminal and `NO_COLOR` is unset). The other formats ignore it.
    public var colour: Bool

    public init(format: Format, colour: Bool = false) {
        self.format = format
        self.colour = colour
    }

    /// - Parameter unixMilliseconds: When the request finished, in milliseconds since 1970 (UTC).
    public func line(for record: RequestRecord, unixMilliseconds: Int64) -> String {
        switch self.format {
        case .text: Timestamp(unixMilliseconds: unixMilliseconds).rfc3339 + " " + Self.text(record)
        case .json: Self.json(record, unixMilliseconds: unixMilliseconds)
        case .combined: Self.combined(record, unixMilliseconds: unixMilliseconds)
        case .dev: Self.dev(record, colour: self.colour)
        }
    }

    /// `GET /path 200 3.12ms`, and ` (error)` (its first two parts) after a failure. With `colour`: the status green
    /// (2xx), cyan (3xx), yellow (4xx) or red (5xx), the method bold, the duration dim.
    static func dev(_ record: RequestRecord, colour: Bool) -> String {
        func paint(_ text: String, _ code: String) -> String {
            colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
        }
        let statusColour: String
        switch record.status {
        case 200..<300: statusColour = "32"
        case 300..<400: statusColour = "36"
        case 400..<500: statusColour = "33"
        default: statusColour = "31"
        }
        var line = paint(record.method.rawValue, "1") + " " + Self.printable(record.uri)
        line += " " + paint(String(record.status), statusColour)
        line += " " + paint(Self.milliseconds(record.totalNanoseconds) + "ms", "2")
        if let error = record.error {
            line += " " + paint("(" + Self.printable(Self.short(error)) + ")", "2")
        }
        return line
    }

    /// The first two `": "`-separated parts of an error (`connectFailed: target 127.0.0.1:3000`),
    /// without the system's wording after them.
    private static func short(_ error: String) -> String {
        guard let first = error.firstRange(of: ": "),
            let second = error[first.upperBound...].firstRange(of: ": ")
        else { return error }
        return String(error[..<second.lowerBound])
    }

    /// `text` with control characters (an escape sequence in a request path) shown as JSON
    /// escapes (`\u001b`), so that a request cannot write to the terminal.
    private static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        return Self.escaped(text)
    }

    private static func requestLine(_ record: RequestRecord) -> String {
        "\(record.method.rawValue) \(record.uri) HTTP/\(record.version.major).\(record.version.minor)"
    }

    static func text(_ record: RequestRecord) -> String {
        var line = "\(record.clientAddress) \"\(Self.escaped(Self.requestLine(record)))\" \(record.status) \(record.responseBytes)"
        line += " listener=\(record.listener)"
        if let upstreamURI = record.upstreamURI {
            line += " upstream_uri=\"\(Self.escaped(upstreamURI))\""
        }
        if record.targetGroup == nil, record.target == "static" {
            // A static route's request: served from files, by the route named.
            line += " target=static route=\(record.route ?? "-")"
        } else {
            line += " target=\(record.target.map { "\(record.targetGroup ?? "-")/\($0)" } ?? "-")"
        }
        if let upstream = record.upstreamNanoseconds {
            line += " upstream_ms=\(Self.milliseconds(upstream))"
        }
        line += " total_ms=\(Self.milliseconds(record.totalNanoseconds)) tls=\(record.tlsVersion ?? "-")"
        if record.retries > 0 {
            line += " retries=\(record.retries)"
        }
        if let compression = record.compression {
            line += " encoding=\(compression.coding.token) uncompressed_bytes=\(compression.bytesIn)"
        }
        if let cache = record.cache {
            line += " cache=\(cache)"
        }
        if let error = record.error {
            line += " error=\"\(Self.escaped(error))\""
        }
        if let refusal = record.refusal {
            line += " refused=\(refusal)"
        }
        if let monitored = record.monitored {
            line += " monitored=\(monitored)"
        }
        if let requestID = record.requestID {
            line += " request_id=\(Self.escaped(requestID))"
        }
        return line
    }

    static func json(_ record: RequestRecord, unixMilliseconds: Int64) -> String {
        var fields: [String] = []
        fields.append("\"time\":\"\(Timestamp(unixMilliseconds: unixMilliseconds).rfc3339)\"")
        fields.append("\"client\":\(Self.quoted(record.clientAddress))")
        fields.append("\"listener\":\(Self.quoted(record.listener))")
        fields.append("\"method\":\(Self.quoted(record.method.rawValue))")
        fields.append("\"uri\":\(Self.quoted(record.uri))")
        fields.append("\"protocol\":\"HTTP/\(record.version.major).\(record.version.minor)\"")
        fields.append("\"host\":\(Self.quotedOrNull(record.host))")
        fields.append("\"status\":\(record.status)")
        fields.append("\"request_bytes\":\(record.requestBytes)")
        fields.append("\"response_bytes\":\(record.responseBytes)")
        fields.append("\"route\":\(Self.quotedOrNull(record.route))")
        fields.append("\"target_group\":\(Self.quotedOrNull(record.targetGroup))")
        fields.append("\"target\":\(Self.quotedOrNull(record.target))")
        fields.append("\"total_ms\":\(Self.milliseconds(record.totalNanoseconds))")
        fields.append("\"upstream_ms\":\(record.upstreamNanoseconds.map(Self.milliseconds) ?? "null")")
        fields.append("\"retries\":\(record.retries)")
        fields.append("\"tls\":\(Self.quotedOrNull(record.tlsVersion))")
        fields.append("\"user_agent\":\(Self.quotedOrNull(record.userAgent))")
        fields.append("\"referer\":\(Self.quotedOrNull(record.referer))")
        fields.append("\"error\":\(Self.quotedOrNull(record.error))")
        fields.append("\"upstream_uri\":\(Self.quotedOrNull(record.upstreamURI))")
        fields.append("\"refused\":\(Self.quotedOrNull(record.refusal))")
        fields.append("\"monitored\":\(Self.quotedOrNull(record.monitored))")
        fields.append("\"request_id\":\(Self.quotedOrNull(record.requestID))")
        fields.append("\"encoding\":\(Self.quotedOrNull(record.compression?.coding.token))")
        fields.append("\"uncompressed_bytes\":\(record.compression.map { String($0.bytesIn) } ?? "null")")
        fields.append("\"cache\":\(Self.quotedOrNull(record.cache))")
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func combined(_ record: RequestRecord, unixMilliseconds: Int64) -> String {
        let time = Timestamp(unixMilliseconds: unixMilliseconds).commonLog
        let bytes = record.responseBytes == 0 ? "-" : String(record.responseBytes)
        return "\(record.clientAddress) - - [\(time)] \"\(Self.escaped(Self.requestLine(record)))\" \(record.status) \(bytes)"
            + " \"\(Self.escaped(record.referer ?? "-"))\" \"\(Self.escaped(record.userAgent ?? "-"))\""
    }

    /// `12.34`: milliseconds with two decimals, without Foundation.
    static func milliseconds(_ nanoseconds: Int64) -> String {
        let hundredths = (nanoseconds + 5_000) / 10_000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func escaped(_ text: String) -> String {
        JSONText.escaped(text)
    }

    static func quoted(_ text: String) -> String {
        JSONText.quoted(text)
    }

    static func quotedOrNull(_ text: String?) -> String {
        text.map(Self.quoted) ?? "null"
    }
}
