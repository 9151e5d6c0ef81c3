/// How access-log lines are written (`global.access_log.format`).
public enum AccessLogFormat: String, Sendable, Hashable, CaseIterable {
    /// `key=value` text after the request line, the default.
    case text
    /// One JSON object per line.
    case json
    /// The NCSA combined format that log analysers read (nginx's and Apache's default).
    case combined
    /// A short line for a terminal: method, path, status and duration, coloured when standard
    /// output is a terminal and `NO_COLOR` is unset. What `portcullis dev` writes.
    case dev
}
