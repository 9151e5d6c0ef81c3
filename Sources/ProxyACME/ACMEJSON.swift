/// The few JSON texts the ACME client writes, built by hand so that their bytes are exact
/// (the JWK thumbprint, RFC 7638, hashes a fixed member order without whitespace).
public enum ACMEJSON {
    /// A JSON string literal, quotes included.
    public static func string(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }

    /// An object from members whose values are JSON already, in the given order.
    public static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(Self.string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    public static func array(_ values: [String]) -> String {
        "[" + values.joined(separator: ",") + "]"
    }
}
