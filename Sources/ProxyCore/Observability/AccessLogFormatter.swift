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
    }

    public var format: Format

    public init(format: Format) {
        self.format = format
    }

    /// - Parameter unixMilliseconds: When the request finished, in milliseconds since 1970 (UTC).
    public func line(for record: RequestRecord, unixMilliseconds: Int64) -> String {
        switch self.format {
        case .text: Timestamp(unixMilliseconds: unixMilliseconds).rfc3339 + " " + Self.text(record)
        case .json: Self.json(record, unixMilliseconds: unixMilliseconds)
        case .combined: Self.combined(record, unixMilliseconds: unixMilliseconds)
        }
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
