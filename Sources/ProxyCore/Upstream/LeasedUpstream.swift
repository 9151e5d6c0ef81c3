import NIOCore

/// The link a ``ForwardingSession`` holds for the request in flight: an HTTP/1.1
/// ``UpstreamConnection`` as its own (final) type, so the session's calls on it are direct and
/// can be inlined, or any other ``UpstreamLink`` (an h2c stream) through the protocol.
///
/// Held as `any UpstreamLink`, every call on the HTTP/1 path went through the protocol's witness
/// table with the existential's copy, retain and release around it (~770 instructions per
/// plain request; decision 0035). The two cases do the same things; only the dispatch differs.
///
/// > Important: Event-loop bound, like the session that holds it.
enum LeasedUpstream {
    case http1(UpstreamConnection)
    case other(any UpstreamLink)

    /// The link as the protocol sees it (rare paths: logs, identity with a callback's argument).
    var link: any UpstreamLink {
        switch self {
        case .http1(let connection): connection
        case .other(let link): link
        }
    }

    /// Whether `link` (a delegate callback's argument) is the held link.
    @inline(__always)
    func holds(_ link: any UpstreamLink) -> Bool {
        switch self {
        case .http1(let connection): connection === link
        case .other(let other): other === link
        }
    }

    var target: Target {
        switch self {
        case .http1(let connection): connection.target
        case .other(let link): link.target
        }
    }

    var isWritable: Bool {
        switch self {
        case .http1(let connection): connection.isWritable
        case .other(let link): link.isWritable
        }
    }

    var requestCount: Int {
        switch self {
        case .http1(let connection): connection.requestCount
        case .other(let link): link.requestCount
        }
    }

    /// Sets or clears the link's delegate (the session it is leased to).
    func setDelegate(_ delegate: (any UpstreamConnectionDelegate)?) {
        switch self {
        case .http1(let connection): connection.delegate = delegate
        case .other(let link): link.delegate = delegate
        }
    }

    func send(_ part: UpstreamRequestPart) {
        switch self {
        case .http1(let connection): connection.send(part, promise: nil)
        case .other(let link): link.send(part, promise: nil)
        }
    }

    func flush() {
        switch self {
        case .http1(let connection): connection.flush()
        case .other(let link): link.flush()
        }
    }

    func sendPreamble(_ bytes: ByteBuffer) {
        switch self {
        case .http1(let connection): connection.sendPreamble(bytes)
        case .other(let link): link.sendPreamble(bytes)
        }
    }

    func sendTunnel(_ bytes: ByteBuffer) {
        switch self {
        case .http1(let connection): connection.sendTunnel(bytes)
        case .other(let link): link.sendTunnel(bytes)
        }
    }

    func startTunnel() {
        switch self {
        case .http1(let connection): connection.startTunnel()
        case .other(let link): link.startTunnel()
        }
    }

    func shutdownOutput() {
        switch self {
        case .http1(let connection): connection.shutdownOutput()
        case .other(let link): link.shutdownOutput()
        }
    }

    func pauseReading() {
        switch self {
        case .http1(let connection): connection.pauseReading()
        case .other(let link): link.pauseReading()
        }
    }

    func resumeReading() {
        switch self {
        case .http1(let connection): connection.resumeReading()
        case .other(let link): link.resumeReading()
        }
    }

    func close() {
        switch self {
        case .http1(let connection): connection.close()
        case .other(let link): link.close()
        }
    }

    func release(reusable: Bool, settings: UpstreamSettings) {
        switch self {
        case .http1(let connection): connection.release(reusable: reusable, settings: settings)
        case .other(let link): link.release(reusable: reusable, settings: settings)
        }
    }
}
