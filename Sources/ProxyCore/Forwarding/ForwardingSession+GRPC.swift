import Logging
import NIOCore
import NIOHTTP1

/// gRPC calls and trailers (docs/http2.md, "h2c and gRPC targets").
extension ForwardingSession {
    /// A gRPC call in flight: its `grpc-timeout`, if it sent a valid one.
    struct GRPCCall {
        var timeout: TimeAmount?
    }

    /// Answers a gRPC call that reached no target (or no answer in time) the way gRPC clients
    /// expect: a trailers-only response, `:status 200` with `grpc-status` and `grpc-message`
    /// (``GRPCFailureResponse``). The record keeps the HTTP status the failure would have had,
    /// so metrics and the access log count it as the failure it is.
    func respondToGRPCCall(with error: UpstreamError) {
        let (code, _) = GRPCFailureResponse.status(for: error)
        self.record.status = UInt(error.httpStatus.code)
        self.record.responseBytes = 0
        self.logger.notice(
            "upstream failure (gRPC)",
            metadata: [
                "status": "\(error.httpStatus.code)", "grpc_status": "\(code)", "error": "\(error)",
                "client": "\(self.record.clientAddress)", "listener": "\(self.settings.name)",
            ]
        )
        self.writeRecord(error: "\(error) (grpc-status \(code))")
        var fields = GRPCFailureResponse.fields(for: error)
        if let server = self.settings.serverHeader, !server.isEmpty {
            fields.add(name: "server", value: server)
        }
        fields.add(contentsOf: self.settings.fixedResponseFields)
        var head = ClientResponseHead(status: .ok, version: self.record.head?.version ?? .http2, fields: fields)
        head.requestID = self.record.requestID
        self.client?.writeResponseHead(head)
        self.client?.writeResponseEnd(trailers: nil)
        self.client?.flushResponse()
        self.client?.resumeRequestReads()
    }

    /// The target's trailers for the client, if it takes them: an HTTP/2 client always; an
    /// HTTP/1.1 client only when it sent `TE: trailers` (they then end the chunked body);
    /// otherwise they are dropped.
    func takeResponseTrailers() -> HTTPHeaders? {
        guard let trailers = self.responseTrailers else { return nil }
        self.responseTrailers = nil
        guard let head = self.record.head else { return nil }
        if head.version.major == 2 { return trailers }
        let te = head.headers[canonicalForm: "te"]
        let takesTrailers = te.contains { line in
            line.split(separator: ",").contains { $0.split(separator: ";").first?.trimmingSpaces().lowercased() == "trailers" }
        }
        return takesTrailers ? trailers : nil
    }
}
