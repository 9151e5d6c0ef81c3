public import NIOCore

/// The two messages of the standard gRPC health check (`grpc.health.v1.Health/Check`),
/// encoded and decoded by hand: each has one field, so no protobuf library is needed. Pure.
///
/// - `HealthCheckRequest { string service = 1; }`
/// - `HealthCheckResponse { ServingStatus status = 1; }` with `UNKNOWN = 0`, `SERVING = 1`,
///   `NOT_SERVING = 2`, `SERVICE_UNKNOWN = 3`.
///
/// On the wire each message is a gRPC length-prefixed message: a compressed flag byte (0), a
/// 4-byte big-endian length, the protobuf bytes.
public enum GRPCHealthMessages {
    public static let path = "/grpc.health.v1.Health/Check"
    public static let serving = 1

    /// The request for `service`, framed.
    public static func request(service: String) -> ByteBuffer {
        var message = ByteBuffer()
        if !service.isEmpty {
            message.writeInteger(UInt8(0x0A))  // field 1, wire type 2 (length-delimited)
            Self.writeVarint(UInt64(service.utf8.count), into: &message)
            message.writeString(service)
        }
        var framed = ByteBuffer()
        framed.writeInteger(UInt8(0))
        framed.writeInteger(UInt32(message.readableBytes))
        framed.writeImmutableBuffer(message)
        return framed
    }

    /// The serving status in a framed response (`0` when the field is absent, as protobuf
    /// defaults it); `nil` when the bytes are not one complete uncompressed message.
    public static func servingStatus(fromResponse framed: ByteBuffer) -> Int? {
        var buffer = framed
        guard let compressed = buffer.readInteger(as: UInt8.self), compressed == 0,
            let length = buffer.readInteger(as: UInt32.self), buffer.readableBytes == Int(length),
            var message = buffer.readSlice(length: Int(length))
        else { return nil }
        var status = 0
        while message.readableBytes > 0 {
            guard let key = Self.readVarint(&message) else { return nil }
            let field = key >> 3
            switch key & 7 {
            case 0:
                guard let value = Self.readVarint(&message) else { return nil }
                if field == 1 { status = Int(truncatingIfNeeded: value) }
            case 1:
                guard message.readSlice(length: 8) != nil else { return nil }
            case 2:
                guard let count = Self.readVarint(&message), count <= UInt64(message.readableBytes),
                    message.readSlice(length: Int(count)) != nil
                else { return nil }
            case 5:
                guard message.readSlice(length: 4) != nil else { return nil }
            default:
                return nil
            }
        }
        return status
    }

    static func writeVarint(_ value: UInt64, into buffer: inout ByteBuffer) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }

    static func readVarint(_ buffer: inout ByteBuffer) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64, let byte = buffer.readInteger(as: UInt8.self) {
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// The outcome of a health call: `:status`, the `grpc-status` (from trailers or a
    /// trailers-only head), and the response message.
    public static func result(httpStatus: Int?, grpcStatus: String?, grpcMessage: String?, message: ByteBuffer) -> ProbeResult {
        guard let httpStatus, httpStatus == 200 else {
            return .failed(reason: httpStatus.map { .status($0) } ?? .reset)
        }
        guard let grpcStatus else { return .failed(reason: .grpc("no grpc-status")) }
        guard grpcStatus == "0" else {
            return .failed(reason: .grpc("grpc-status \(grpcStatus)\(grpcMessage.map { " \($0)" } ?? "")"))
        }
        guard let status = Self.servingStatus(fromResponse: message) else {
            return .failed(reason: .malformedResponse("not a HealthCheckResponse"))
        }
        let names = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]
        guard status == Self.serving else {
            return .failed(reason: .grpc(status < names.count ? names[status] : "status \(status)"))
        }
        return .passed(status: 200)
    }
}
