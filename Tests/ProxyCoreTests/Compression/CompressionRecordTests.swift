import Testing

@testable import ProxyCore

/// A compressed response in the access log: its coding and its size before compression, in
/// the text and JSON formats (null in JSON when not compressed).
struct CompressionRecordTests {
    @Test func theAccessLogNotesTheEncoding() {
        var record = RequestRecord(listener: "web", status: 200, responseBytes: 7984)
        record.compression = RequestRecord.CompressionNote(coding: .gzip, bytesIn: 102_400, bytesOut: 7984)
        let text = AccessLogFormatter.text(record)
        #expect(text.contains(" 200 7984 "))
        #expect(text.contains(" encoding=gzip uncompressed_bytes=102400"))
        let json = AccessLogFormatter.json(record, unixMilliseconds: 0)
        #expect(json.contains("\"response_bytes\":7984") && json.contains("\"encoding\":\"gzip\"") && json.contains("\"uncompressed_bytes\":102400"))
        let plain = RequestRecord(listener: "web", status: 200, responseBytes: 10)
        #expect(!AccessLogFormatter.text(plain).contains("encoding="))
        #expect(AccessLogFormatter.json(plain, unixMilliseconds: 0).contains("\"encoding\":null,\"uncompressed_bytes\":null"))
    }
}
