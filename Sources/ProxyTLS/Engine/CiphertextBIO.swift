internal import CSSL
import NIOCore

/// The ciphertext on its way between the socket and OpenSSL, held in `ByteBuffer`s.
///
/// A custom BIO (``CiphertextBIO``) reads OpenSSL's input from ``inbound`` and appends its
/// output to ``outbound``. Compared with a pair of memory BIOs this saves one copy each way
/// (received buffers are handed over as they are; produced records leave as the buffer they
/// were written into) and holds no memory while a connection is idle: a memory BIO keeps the
/// largest size it ever grew to (the handshake flight) for the life of the connection.
final class CiphertextBuffers {
    /// Received from the peer, not yet consumed by OpenSSL. `nil` when empty.
    var inbound: ByteBuffer?
    /// Produced by OpenSSL, not yet taken for the socket. `nil` when empty.
    var outbound: ByteBuffer?
    /// How many ciphertext bytes the next writes are expected to produce: the first write
    /// allocates that much at once, so a large flush does not grow (and copy) the buffer.
    var outboundCapacityHint = 0
    let allocator: ByteBufferAllocator

    init(allocator: ByteBufferAllocator) {
        self.allocator = allocator
    }
}

/// The BIO method behind ``CiphertextBuffers``: one BIO is both the read and the write BIO of
/// an `SSL`. Its data pointer is an unretained ``CiphertextBuffers`` owned by the ``TLSEngine``,
/// which also owns the `SSL` (and so the BIO): the BIO never outlives its buffers.
enum CiphertextBIO {
    /// Made once per process; `BIO_METHOD`s are never freed (OpenSSL's own are static).
    nonisolated(unsafe) private static let method: OpaquePointer? = {
        let index = BIO_get_new_index()
        guard index > 0 else { return nil }
        let type = index | BIO_TYPE_SOURCE_SINK
        guard let method = BIO_meth_new(type, "portcullis ciphertext") else { return nil }
        BIO_meth_set_write_ex(method, ciphertextWrite)
        BIO_meth_set_read_ex(method, ciphertextRead)
        BIO_meth_set_ctrl(method, ciphertextControl)
        BIO_meth_set_create(method, ciphertextCreate)
        BIO_meth_set_destroy(method, ciphertextDestroy)
        return method
    }()

    /// A new BIO over `buffers` (unretained), or `nil` when OpenSSL is out of memory.
    static func make(over buffers: CiphertextBuffers) -> OpaquePointer? {
        guard let method = Self.method, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(buffers).toOpaque())
        return bio
    }

    static func buffers(of bio: OpaquePointer?) -> CiphertextBuffers? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<CiphertextBuffers>.fromOpaque(data).takeUnretainedValue()
    }
}

private func ciphertextCreate(_ bio: OpaquePointer?) -> CInt {
    BIO_set_init(bio, 1)
    return 1
}

private func ciphertextDestroy(_ bio: OpaquePointer?) -> CInt {
    BIO_set_data(bio, nil)
    BIO_set_init(bio, 0)
    return 1
}

/// OpenSSL wants `length` bytes of ciphertext: give what has been received, or ask to retry.
private func ciphertextRead(
    _ bio: OpaquePointer?,
    _ destination: UnsafeMutablePointer<CChar>?,
    _ length: Int,
    _ readBytes: UnsafeMutablePointer<Int>?
) -> CInt {
    CSSL_BIO_clear_retry_flags(bio)
    guard let buffers = CiphertextBIO.buffers(of: bio), let destination, length > 0,
        var inbound = buffers.inbound, inbound.readableBytes > 0
    else {
        CSSL_BIO_set_retry_read(bio)
        readBytes?.pointee = 0
        return 0
    }
    let count = min(length, inbound.readableBytes)
    inbound.withUnsafeReadableBytes { bytes in
        UnsafeMutableRawPointer(destination).copyMemory(from: bytes.baseAddress!, byteCount: count)
    }
    inbound.moveReaderIndex(forwardBy: count)
    buffers.inbound = inbound.readableBytes > 0 ? inbound : nil
    readBytes?.pointee = count
    return 1
}

/// OpenSSL produced `length` bytes of ciphertext: keep them for the socket.
private func ciphertextWrite(
    _ bio: OpaquePointer?,
    _ source: UnsafePointer<CChar>?,
    _ length: Int,
    _ written: UnsafeMutablePointer<Int>?
) -> CInt {
    CSSL_BIO_clear_retry_flags(bio)
    guard let buffers = CiphertextBIO.buffers(of: bio), let source else {
        written?.pointee = 0
        return 0
    }
    let bytes = UnsafeRawBufferPointer(start: source, count: length)
    if buffers.outbound == nil {
        var buffer = buffers.allocator.buffer(capacity: max(length, buffers.outboundCapacityHint))
        buffers.outboundCapacityHint = 0
        buffer.writeBytes(bytes)
        buffers.outbound = buffer
    } else {
        buffers.outbound!.writeBytes(bytes)
    }
    written?.pointee = length
    return 1
}

private func ciphertextControl(_ bio: OpaquePointer?, _ command: CInt, _ argument: Int, _ pointer: UnsafeMutableRawPointer?) -> Int {
    // The command first: OpenSSL asks ~13 times per HTTPS request, mostly for what needs no
    // buffers (flush, kTLS queries); the buffers are looked up only to say what is pending,
    // and read in place (no copy of the optional buffer).
    switch command {
    case BIO_CTRL_PENDING:
        return CiphertextBIO.buffers(of: bio)?.inbound?.readableBytes ?? 0
    case BIO_CTRL_WPENDING:
        return CiphertextBIO.buffers(of: bio)?.outbound?.readableBytes ?? 0
    case BIO_CTRL_FLUSH:
        return 1
    default:
        return 0
    }
}
