import ProxyCore

/// Renders any configuration value as JSON by reflection, with snake_case keys, so `GET /config`
/// shows every setting in effect without a hand-written encoder per type that could fall
/// behind. Secrets (the admin token) are replaced by `"<redacted>"`.
enum ConfigurationJSON {
    static func render(_ value: Any) -> String {
        var output = ""
        Self.write(value, into: &output, indent: "")
        return output + "\n"
    }

    private static let redactedKeys: Set<String> = ["token"]

    private static func write(_ value: Any, into output: inout String, indent: String) {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            if let child = mirror.children.first {
                Self.write(child.value, into: &output, indent: indent)
            } else {
                output += "null"
            }
            return
        }
        switch value {
        case let text as String:
            output += Self.quoted(text)
            return
        case let flag as Bool:
            output += flag ? "true" : "false"
            return
        case let number as Int:
            output += String(number)
            return
        case let number as Double:
            output += number.isFinite ? String(number) : "null"
            return
        case let duration as Duration:
            output += Self.quoted(Self.format(duration))
            return
        case let convertible as any RawRepresentable:
            if let raw = convertible.rawValue as? String {
                output += Self.quoted(raw)
                return
            }
        case let described as any CustomStringConvertible where mirror.displayStyle != .enum && mirror.children.isEmpty:
            output += Self.quoted(described.description)
            return
        default:
            break
        }
        switch mirror.displayStyle {
        case .collection, .set:
            let items = Array(mirror.children)
            if items.isEmpty {
                output += "[]"
                return
            }
            output += "[\n"
            for (index, item) in items.enumerated() {
                output += indent + "  "
                Self.write(item.value, into: &output, indent: indent + "  ")
                output += index == items.count - 1 ? "\n" : ",\n"
            }
            output += indent + "]"
        case .enum:
            guard let payload = mirror.children.first else {
                output += Self.quoted(Self.snakeCase("\(value)"))
                return
            }
            output += "{\"\(Self.snakeCase(payload.label ?? "value"))\": "
            Self.write(payload.value, into: &output, indent: indent)
            output += "}"
        default:
            let fields = mirror.children.compactMap { child in child.label.map { ($0, child.value) } }
            if fields.isEmpty {
                output += Self.quoted("\(value)")
                return
            }
            output += "{\n"
            for (index, (label, child)) in fields.enumerated() {
                let key = Self.snakeCase(label)
                output += indent + "  " + Self.quoted(key) + ": "
                if Self.redactedKeys.contains(key), Mirror(reflecting: child).children.first != nil {
                    output += "\"<redacted>\""
                } else {
                    Self.write(child, into: &output, indent: indent + "  ")
                }
                output += index == fields.count - 1 ? "\n" : ",\n"
            }
            output += indent + "}"
        }
    }

    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                if !result.isEmpty { result += "_" }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds)s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }

    static func quoted(_ text: String) -> String {
        JSONText.quoted(text)
    }
}
