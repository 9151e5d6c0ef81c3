public import NIOCore
import NIOHTTP1

/// The error page of `portcullis dev` (a listener with development error pages on): an HTML page
/// that says which local port did not answer, and reloads itself every two seconds so the app
/// shows up as soon as it listens.
///
/// Only for the dev proxy: it names the target's address, which ``ErrorResponses`` never does
/// (docs/decisions/0024-dev-error-pages.md). Pure: the caller writes head and body.
public enum DevelopmentErrorPage {
    /// Seconds between the page's own reloads.
    static let refreshSeconds = 2

    /// The page for `error` on a request that went to `target` (`host:port`), or `nil` when the
    /// failure has nothing to do with a target (no route, no target): that keeps the plain answer.
    public static func page(
        for error: UpstreamError,
        target: (host: String, port: Int)?,
        allocator: ByteBufferAllocator
    ) -> (contentType: String, body: ByteBuffer)? {
        guard let target else { return nil }
        let explanation: String
        switch error {
        case .connectFailed:
            explanation = "Nothing is answering on port \(target.port). Is your app running?"
        case .connectTimedOut:
            explanation = "Port \(target.port) did not accept the connection in time."
        case .closedBeforeResponse:
            explanation = "The app on port \(target.port) closed the connection without answering."
        case .responseTimedOut:
            explanation = "The app on port \(target.port) did not answer in time."
        default:
            return nil
        }
        let status = error.httpStatus
        let address = Self.escaped(target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)")
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="refresh" content="\(Self.refreshSeconds)">
            <title>\(status.code) · port \(target.port) is not answering</title>
            <style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}code{background:#f2f2f2;padding:0 .3em;border-radius:3px}small{color:#777}</style>
            </head>
            <body>
            <h1>\(status.code) \(Self.escaped(status.reasonPhrase))</h1>
            <p>\(Self.escaped(explanation))</p>
            <p>portcullis dev forwards this request to <code>\(address)</code>.</p>
            <p><small>This page reloads every \(Self.refreshSeconds) seconds. portcullis dev</small></p>
            </body>
            </html>

            """
        return ("text/html; charset=utf-8", allocator.buffer(string: html))
    }

    private static func escaped(_ text: String) -> String {
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
}
