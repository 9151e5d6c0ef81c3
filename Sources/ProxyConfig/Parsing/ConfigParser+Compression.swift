import ProxyDefaults

/// `routes[].compression` (docs/content.md).
extension ConfigParser {
    mutating func compression(_ node: ConfigNode, key: String) -> CompressionConfiguration {
        var compression = CompressionConfiguration()
        if case .bool(let enabled) = node.scalar?.kind {
            compression.enabled = enabled
            return compression
        }
        guard let fields = self.fields(of: node, key: key, allowed: CompressionConfiguration.keys) else { return compression }
        if let node = fields["encodings"], let items = self.list(node, key: fields.key("encodings")) {
            var encodings: [CompressionConfiguration.Encoding] = []
            for (index, item) in items.enumerated() {
                let itemKey = "\(fields.key("encodings"))[\(index)]"
                guard let encoding = self.choice(item, key: itemKey, of: CompressionConfiguration.Encoding.self, noun: "encoding") else { continue }
                guard !encodings.contains(encoding) else {
                    self.problems.report(itemKey, at: item, "\(encoding.rawValue) is listed twice")
                    continue
                }
                encodings.append(encoding)
            }
            if items.isEmpty {
                self.problems.report(fields.key("encodings"), at: node, "needs at least one of zstd, br, gzip (write compression: false to turn compression off)")
            }
            compression.encodings = encodings
        }
        if let node = fields["min_bytes"], let bytes = self.size(node, key: fields.key("min_bytes"), in: CompressionConfiguration.minBytesRange) {
            compression.minBytes = bytes
        }
        if let node = fields["types"], let items = self.list(node, key: fields.key("types")) {
            var types: [String] = []
            for (index, item) in items.enumerated() {
                let itemKey = "\(fields.key("types"))[\(index)]"
                guard let text = self.string(item, key: itemKey) else { continue }
                let type = text.lowercased()
                guard Self.isMediaTypePattern(type) else {
                    self.problems.report(itemKey, at: item, "\"\(text)\" is not a media type (type/subtype, or type/* for a whole type; no parameters)")
                    continue
                }
                if types.contains(type) {
                    self.problems.warn(itemKey, line: item.line, column: item.column, "\(type) is listed twice")
                    continue
                }
                types.append(type)
            }
            if items.isEmpty {
                self.problems.report(fields.key("types"), at: node, "needs at least one media type (write compression: false to turn compression off)")
            }
            compression.types = types
        }
        if let node = fields["level"] {
            self.compressionLevels(node, key: fields.key("level"), into: &compression)
        }
        return compression
    }

    /// `level: { gzip: 6, br: 5, zstd: 3 }`: one level per coding, each on its library's scale.
    private mutating func compressionLevels(_ node: ConfigNode, key: String, into compression: inout CompressionConfiguration) {
        if case .integer = node.scalar?.kind {
            self.problems.report(
                key,
                at: node,
                "a level is set per encoding, each on its library's scale: such as {gzip: 6, br: 5, zstd: 3} (gzip \(Self.rangeText(Defaults.Compression.gzipLevels)), br \(Self.rangeText(Defaults.Compression.brotliLevels)), zstd \(Self.rangeText(Defaults.Compression.zstdLevels)))"
            )
            return
        }
        guard let fields = self.fields(of: node, key: key, allowed: CompressionConfiguration.Encoding.allCases.map(\.rawValue)) else { return }
        if let node = fields["gzip"], let level = self.integer(node, key: fields.key("gzip"), in: Defaults.Compression.gzipLevels) {
            compression.gzipLevel = level
        }
        if let node = fields["br"], let level = self.integer(node, key: fields.key("br"), in: Defaults.Compression.brotliLevels) {
            compression.brotliLevel = level
        }
        if let node = fields["zstd"], let level = self.integer(node, key: fields.key("zstd"), in: Defaults.Compression.zstdLevels) {
            compression.zstdLevel = level
        }
    }

    private static func rangeText(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)...\(range.upperBound)" }

    /// `type/subtype` or `type/*`, each part an RFC 9110 token.
    static func isMediaTypePattern(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, HTTPSyntax.isToken(String(parts[0])), parts[0] != "*" else { return false }
        return parts[1] == "*" || HTTPSyntax.isToken(String(parts[1]))
    }
}
