import Foundation
import NIOCore
import NIOHTTP1

/// Serves one HTTP/1.1 connection: the landing page, the waitlist form's POST, and a health check.
///
/// NIO's `HTTPServerPipelineHandler` (from `configureHTTPServerPipeline`) hands this handler one
/// request at a time and holds pipelined requests back until the response's `.end` is written,
/// so there is never more than one request in progress here.
final class DemoHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maxBodyBytes = 64 * 1024

    private let instanceName: String
    private let store: WaitlistStore

    // The request being received.
    private var requestHead: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false

    init(instanceName: String, store: WaitlistStore) {
        self.instanceName = instanceName
        self.store = store
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            requestHead = head
            body.removeAll(keepingCapacity: true)
            bodyTooLarge = false
        case .body(let chunk):
            // Past the limit the rest of the body is read and dropped; the answer is 413.
            if body.count + chunk.readableBytes > Self.maxBodyBytes {
                bodyTooLarge = true
            } else {
                body.append(contentsOf: chunk.readableBytesView)
            }
        case .end:
            guard let head = requestHead else { return }
            requestHead = nil
            respond(to: head, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        if bodyTooLarge {
            let tooLarge = Response.error(.payloadTooLarge, "body larger than \(Self.maxBodyBytes) bytes")
            send(tooLarge, for: head, closing: true, context: context)
            return
        }
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        switch (head.method, path) {
        case (.GET, "/"):
            let page = LandingPage.html(formID: UUID().uuidString, instanceName: instanceName)
            send(.init(status: .ok, contentType: "text/html; charset=utf-8", body: page), for: head, context: context)
        case (.GET, "/healthz"):
            send(.init(status: .ok, contentType: "text/plain; charset=utf-8", body: "ok"), for: head, context: context)
        case (.POST, "/waitlist"):
            join(head, context: context)
        default:
            send(.error(.notFound, "no such page"), for: head, context: context)
        }
    }

    /// Records the signup, then answers 201. The file work happens on the store's thread pool; its
    /// future completes back on this connection's event loop, where the response is written.
    private func join(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let entry: WaitlistEntry
        do {
            let contentType = head.headers["content-type"].first
            entry = try WaitlistEntry(body: body, contentType: contentType, instance: instanceName)
        } catch {
            send(.error(.badRequest, error.reason), for: head, context: context)
            return
        }
        store.append(entry, on: context.eventLoop).assumeIsolated().whenComplete { result in
            // The client went away, or a shutdown ran out of grace: nobody to answer.
            guard context.channel.isActive else { return }
            switch result {
            case .success:
                let joined = #"{"status":"joined","id":\#(WaitlistEntry.quoted(entry.id))}"#
                let created = Response(status: .created, contentType: "application/json", body: joined)
                self.send(created, for: head, context: context)
            case .failure:
                self.send(.error(.internalServerError, "could not record the signup"), for: head, context: context)
            }
        }
    }

    private func send(
        _ response: Response,
        for request: HTTPRequestHead,
        closing: Bool = false,
        context: ChannelHandlerContext
    ) {
        let keepAlive = request.isKeepAlive && !closing
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        headers.add(name: "X-Served-By", value: instanceName)
        headers.add(name: "Server", value: "portcullis-demo")
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        let body = context.channel.allocator.buffer(string: response.body)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    private struct Response {
        var status: HTTPResponseStatus
        var contentType: String
        var body: String

        static func error(_ status: HTTPResponseStatus, _ message: String) -> Response {
            let body = #"{"error":\#(WaitlistEntry.quoted(message))}"#
            return Response(status: status, contentType: "application/json", body: body)
        }
    }
}
