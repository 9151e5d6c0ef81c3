import CSSL
import Testing

@testable import ProxyTLS

/// Before each call whose failure is read from the thread's error queue, the queue is emptied,
/// but only looked at when empty (``clearErrorQueue()``: clearing costs ~840 instructions).
struct OpenSSLErrorQueueTests {
    /// Queues "no start line" on this thread, as unrelated OpenSSL use might, without draining it.
    private func leaveAnError() {
        let garbage = Array("not a certificate".utf8)
        garbage.withUnsafeBytes { bytes in
            let bio = BIO_new_mem_buf(bytes.baseAddress, CInt(bytes.count))
            _ = PEM_read_bio_X509(bio, nil, nil, nil)
            BIO_free(bio)
        }
    }

    @Test func aLeftOverErrorIsClearedAndAnEmptyQueueStaysEmpty() {
        clearErrorQueue()
        #expect(ERR_peek_error() == 0)
        self.leaveAnError()
        self.leaveAnError()
        #expect(ERR_peek_error() != 0)
        clearErrorQueue()
        #expect(ERR_peek_error() == 0)
    }

    /// An error left over must not be reported as the failure of the next call.
    @Test func aFailureReportsOnlyItsOwnErrors() {
        self.leaveAnError()
        #expect(throws: OpenSSLError.self) {
            try requireSuccess("a call that fails") { 0 }
        }
        self.leaveAnError()
        do {
            try requireSuccess("a call that fails") { 0 }
        } catch {
            #expect(error.entries.isEmpty, "the left-over error was taken for this call's: \(error.entries)")
        }
    }
}
