import CZlib
import CZstd
import Foundation
import NIOCore
import Testing

@testable import ProxyCore

/// The per-response compressor over the system libraries: every coding decodes back to the
/// input (zlib's inflate and zstd's decoder in process, the `brotli` tool for br), every part is
/// flushed (what was sent so far decodes to what came so far), and the output per part stays
/// near the part's size, however long the body.
struct ResponseCompressorTests {
    /// JSON-like text: repetitive enough to compress, varied enough not to vanish.
    static func sample(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        var state = seed
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let line = "{\"id\":\(state >> 40),\"name\":\"item-\(state % 977)\",\"tags\":[\"a\",\"b\"],\"ok\":true},\n"
            bytes.append(contentsOf: line.utf8)
        }
        return Array(bytes.prefix(count))
    }

    private func compress(_ input: [UInt8], coding: ContentCoding, level: Int, partSize: Int) throws -> (parts: [[UInt8]], tail: [UInt8], compressor: ResponseCompressor) {
        var compressor = try #require(ResponseCompressor(coding: coding, level: level))
        var parts: [[UInt8]] = []
        var offset = 0
        while offset < input.count {
            let part = ByteBuffer(bytes: input[offset..<min(offset + partSize, input.count)])
            var out = try compressor.compress(part, allocator: ByteBufferAllocator())
            parts.append(out.readBytes(length: out.readableBytes) ?? [])
            offset += partSize
        }
        var tail = try compressor.finish(allocator: ByteBufferAllocator())
        return (parts, tail.readBytes(length: tail.readableBytes) ?? [], compressor)
    }

    @Test(arguments: [(ContentCoding.gzip, 1), (.gzip, 9), (.zstd, 3), (.zstd, 19), (.br, 4), (.br, 11)])
    func decodesToTheInput(_ coding: ContentCoding, _ level: Int) throws {
        let input = Self.sample(100 * 1024)
        let result = try self.compress(input, coding: coding, level: level, partSize: 16 * 1024)
        let encoded = result.parts.flatMap { $0 } + result.tail
        #expect(try Self.decode(encoded, coding) == input)
        #expect(encoded.count < input.count / 3, "\(coding) \(level): \(encoded.count) bytes for \(input.count)")
        #expect(result.compressor.bytesIn == input.count)
        #expect(result.compressor.bytesOut == encoded.count)
        #expect(result.parts.allSatisfy { !$0.isEmpty }, "every part flushed something")
    }

    @Test(arguments: [ContentCoding.gzip, .zstd, .br])
    func anEmptyBodyIsAValidStream(_ coding: ContentCoding) throws {
        var compressor = try #require(ResponseCompressor(coding: coding, level: 1))
        var tail = try compressor.finish(allocator: ByteBufferAllocator())
        let bytes = tail.readBytes(length: tail.readableBytes) ?? []
        #expect(!bytes.isEmpty)
        #expect(try Self.decode(bytes, coding) == [])
    }

    /// What went out after each part decodes to everything that came in so far: the client is
    /// never kept waiting for bytes the proxy holds.
    @Test(arguments: [ContentCoding.gzip, .zstd])
    func eachPartIsFlushed(_ coding: ContentCoding) throws {
        let input = Self.sample(40_000)
        let result = try self.compress(input, coding: coding, level: 3, partSize: 5000)
        var sent: [UInt8] = []
        for (index, part) in result.parts.enumerated() {
            sent += part
            let decoded = coding == .gzip ? try Self.inflatePrefix(sent) : try Self.zstdPrefix(sent)
            #expect(decoded == Array(input.prefix((index + 1) * 5000)), "after part \(index)")
        }
    }

    /// Parts taken without a flush may be held by the library; the flush gives out the rest, and
    /// then everything so far decodes.
    @Test(arguments: [ContentCoding.gzip, .zstd])
    func partsWithoutAFlushComeOutAtTheFlush(_ coding: ContentCoding) throws {
        let input = Self.sample(30_000)
        var compressor = try #require(ResponseCompressor(coding: coding, level: 3))
        var sent: [UInt8] = []
        for start in stride(from: 0, to: input.count, by: 10_000) {
            var out = try compressor.compress(ByteBuffer(bytes: input[start..<start + 10_000]), flush: false, allocator: ByteBufferAllocator())
            sent += out.readBytes(length: out.readableBytes) ?? []
            #expect(compressor.hasUnflushedInput)
        }
        var flushed = try compressor.flush(allocator: ByteBufferAllocator())
        #expect(flushed.readableBytes > 0 && !compressor.hasUnflushedInput)
        sent += flushed.readBytes(length: flushed.readableBytes) ?? []
        #expect(try (coding == .gzip ? Self.inflatePrefix(sent) : Self.zstdPrefix(sent)) == input)
        var tail = try compressor.finish(allocator: ByteBufferAllocator())
        sent += tail.readBytes(length: tail.readableBytes) ?? []
        #expect(try Self.decode(sent, coding) == input)
    }

    /// A long body through one compressor: no part's output is much larger than the part, and
    /// the whole decodes (the memory held is the library's window, not the body).
    @Test(arguments: [ContentCoding.gzip, .zstd, .br])
    func aLongBodyInBoundedPieces(_ coding: ContentCoding) throws {
        var compressor = try #require(ResponseCompressor(coding: coding, level: 1))
        let piece = Self.sample(16 * 1024, seed: 11)
        var largest = 0
        for round in 0..<512 {  // 8 MiB
            var part = ByteBuffer(bytes: piece)
            part.setInteger(UInt64(round), at: 0)
            let out = try compressor.compress(part, allocator: ByteBufferAllocator())
            largest = max(largest, out.readableBytes)
        }
        _ = try compressor.finish(allocator: ByteBufferAllocator())
        #expect(compressor.bytesIn == 512 * 16 * 1024)
        #expect(largest <= 16 * 1024 + 1024)
        #expect(compressor.bytesOut < compressor.bytesIn / 4)
    }

    // MARK: Decoders

    static func decode(_ bytes: [UInt8], _ coding: ContentCoding) throws -> [UInt8] {
        switch coding {
        case .gzip: try self.inflatePrefix(bytes, complete: true)
        case .zstd: try self.zstdPrefix(bytes)
        case .br: try self.brotliTool(bytes)
        }
    }

    /// zlib's inflate with gzip detection over `bytes`; `complete`: the stream must end.
    static func inflatePrefix(_ bytes: [UInt8], complete: Bool = false) throws -> [UInt8] {
        var stream = z_stream()
        #expect(inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { inflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: 1 << 20)
        var decoded: [UInt8] = []
        var status = Z_OK
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            repeat {
                output.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    status = inflate(&stream, Z_SYNC_FLUSH)
                    decoded += outBuffer.prefix(outBuffer.count - Int(stream.avail_out))
                }
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        if complete {
            #expect(status == Z_STREAM_END)
        } else {
            #expect(status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END)
        }
        return decoded
    }

    static func zstdPrefix(_ bytes: [UInt8]) throws -> [UInt8] {
        let context = ZSTD_createDStream()
        defer { ZSTD_freeDStream(context) }
        var decoded: [UInt8] = []
        var output = [UInt8](repeating: 0, count: 1 << 20)
        bytes.withUnsafeBytes { inBytes in
            var source = ZSTD_inBuffer(src: inBytes.baseAddress, size: inBytes.count, pos: 0)
            while true {
                var produced = 0
                var result = 0
                output.withUnsafeMutableBytes { outBytes in
                    var destination = ZSTD_outBuffer(dst: outBytes.baseAddress, size: outBytes.count, pos: 0)
                    result = ZSTD_decompressStream(context, &destination, &source)
                    produced = destination.pos
                }
                #expect(ZSTD_isError(result) == 0)
                decoded += output.prefix(produced)
                if ZSTD_isError(result) != 0 || (source.pos == source.size && produced < output.count) { break }
            }
        }
        return decoded
    }

    /// The `brotli` command-line tool (Debian's `brotli`, installed by the Makefile).
    static func brotliTool(_ bytes: [UInt8]) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-br-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("body.br")
        try Data(bytes).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/brotli")
        process.arguments = ["--decompress", "--stdout", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return [UInt8](data)
    }
}
