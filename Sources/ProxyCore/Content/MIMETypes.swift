/// The `Content-Type` of a file from its extension: the common web types, text ones with
/// `charset=utf-8`; anything else is `application/octet-stream`. One table, no file read.
public enum MIMETypes {
    public static let fallback = "application/octet-stream"

    /// The type for the file `name` (its last extension, compared without case).
    public static func type(forFileName name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return Self.fallback }
        let ext = name[name.index(after: dot)...].lowercased()
        return Self.table[ext] ?? Self.fallback
    }

    static let table: [String: String] = [
        // Text
        "html": "text/html; charset=utf-8",
        "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "txt": "text/plain; charset=utf-8",
        "md": "text/markdown; charset=utf-8",
        "csv": "text/csv; charset=utf-8",
        "xml": "text/xml; charset=utf-8",
        "ics": "text/calendar; charset=utf-8",
        "vtt": "text/vtt; charset=utf-8",
        // Data
        "json": "application/json",
        "map": "application/json",
        "jsonld": "application/ld+json",
        "webmanifest": "application/manifest+json",
        "wasm": "application/wasm",
        "pdf": "application/pdf",
        "zip": "application/zip",
        "gz": "application/gzip",
        "tar": "application/x-tar",
        "rss": "application/rss+xml",
        "atom": "application/atom+xml",
        "xhtml": "application/xhtml+xml",
        // Images
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "avif": "image/avif",
        "svg": "image/svg+xml",
        "ico": "image/vnd.microsoft.icon",
        "bmp": "image/bmp",
        // Fonts
        "woff": "font/woff",
        "woff2": "font/woff2",
        "ttf": "font/ttf",
        "otf": "font/otf",
        // Audio and video
        "mp3": "audio/mpeg",
        "ogg": "audio/ogg",
        "wav": "audio/wav",
        "mp4": "video/mp4",
        "webm": "video/webm",
    ]
}
