#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A plain HTML listing of a directory (`static.listing: true`): names escaped for HTML,
/// links percent-encoded, directories with a trailing `/`, dotfiles left out unless shown.
public enum DirectoryListing {
    /// The most entries listed; a larger directory is cut (and says so).
    static let maxEntries = 10_000

    /// The listing of `directory` as the page for `uri`; `nil` when it cannot be read.
    /// Blocking (it reads the directory): on the thread pool.
    public static func html(directory: String, uri: String, showsDotfiles: Bool) -> String? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        var entries: [(name: String, isDirectory: Bool)] = []
        var truncated = false
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." || (!showsDotfiles && name.hasPrefix(".")) { continue }
            if entries.count == Self.maxEntries {
                truncated = true
                break
            }
            entries.append((name, entry.pointee.d_type == UInt8(DT_DIR)))
        }
        entries.sort { $0.name < $1.name }
        return Self.page(uri: uri, entries: entries, truncated: truncated)
    }

    /// The page for `entries` (pure).
    static func page(uri: String, entries: [(name: String, isDirectory: Bool)], truncated: Bool) -> String {
        let title = Self.escape(uri)
        var html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of \(title)</title></head>\n<body><h1>Index of \(title)</h1>\n<ul>\n"
        if uri != "/" {
            html += "<li><a href=\"../\">../</a></li>\n"
        }
        for entry in entries {
            let suffix = entry.isDirectory ? "/" : ""
            html += "<li><a href=\"./\(Self.encode(entry.name))\(suffix)\">\(Self.escape(entry.name))\(suffix)</a></li>\n"
        }
        if truncated {
            html += "<li>… (only the first \(Self.maxEntries) entries are listed)</li>\n"
        }
        html += "</ul>\n</body></html>\n"
        return html
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` as character references.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// `name` percent-encoded for a path segment (unreserved characters kept).
    static func encode(_ name: String) -> String {
        var result = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
