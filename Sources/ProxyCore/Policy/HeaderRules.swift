import NIOHTTP1

/// Header rules as the request path uses them: the names whose fields are dropped (the removed
/// and the set ones), and the lines added (the set and added ones), in that order.
///
/// The drop is part of the rewriters' single pass over the fields (a name check by length
/// first, as the stripped response headers are); the lines are written after the fields.
public struct HeaderRules: Sendable {
    public struct Line: Sendable {
        public var name: String
        public var value: HeaderTemplate

        public init(name: String, value: HeaderTemplate) {
            self.name = name
            self.value = value
        }
    }

    /// Lowercased.
    public let droppedNames: [String]
    /// Bit `n`: a dropped name is `n` bytes long (longer ones set bit 63).
    let droppedLengths: UInt64
    public let lines: [Line]

    public init(dropping droppedNames: [String], lines: [Line]) {
        self.droppedNames = Array(Set(droppedNames.map { $0.lowercased() })).sorted()
        self.droppedLengths = self.droppedNames.reduce(0) { $0 | 1 << UInt64(min($1.utf8.count, 63)) }
        self.lines = lines
    }

    public var isEmpty: Bool { self.droppedNames.isEmpty && self.lines.isEmpty }

    /// Whether a field named `name` is dropped.
    @inline(__always)
    func drops(_ name: String) -> Bool {
        self.droppedLengths & 1 << UInt64(min(name.utf8.count, 63)) != 0 && self.droppedNames.contains { HeaderName.equals(name, $0) }
    }

    /// Whether a field named by raw `name` is dropped.
    @inline(__always)
    func drops(_ name: UnsafeRawBufferPointer) -> Bool {
        self.droppedLengths & 1 << UInt64(min(name.count, 63)) != 0 && self.droppedNames.contains { HeaderName.matches(name, lowercased: $0) }
    }

    /// The added lines whose values use no variable, as fields.
    public var staticLines: [(String, String)] {
        self.lines.compactMap { line in line.value.staticValue.map { (line.name, $0) } }
    }

    /// The added lines whose values use variables.
    public var templatedLines: [Line] {
        self.lines.filter { $0.value.staticValue == nil }
    }

    /// Adds every line, rendered, to `fields`.
    func add(to fields: inout HTTPHeaders, _ variables: HeaderTemplate.Variables) {
        for line in self.lines {
            fields.add(name: line.name, value: line.value.render(variables))
        }
    }
}
