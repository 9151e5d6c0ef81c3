/// A value read from the configuration file, together with where it was written and under which key.
struct Located<Value> {
    var value: Value
    /// Dotted user spelling of the key, such as `listeners[0].bind`.
    var key: String
    /// 1-based.
    var line: Int
    /// 1-based.
    var column: Int

    init(_ value: Value, key: String, at node: ConfigNode) {
        self.value = value
        self.key = key
        self.line = node.line
        self.column = node.column
    }
}

extension Located: Sendable where Value: Sendable {}

extension DiagnosticCollector {
    mutating func report<Value>(at located: Located<Value>, _ message: String) {
        self.report(located.key, line: located.line, column: located.column, message)
    }

    mutating func warn<Value>(at located: Located<Value>, _ message: String) {
        self.warn(located.key, line: located.line, column: located.column, message)
    }
}
