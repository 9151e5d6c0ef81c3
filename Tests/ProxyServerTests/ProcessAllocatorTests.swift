import CAllocator
import Testing

/// The process's allocator (docs/decisions/0015-mimalloc.md): mimalloc for everything, and
/// OpenSSL's record-sized blocks (16 KiB and more) half a page in.
@Suite struct ProcessAllocatorTests {
    @Test func mallocIsMimalloc() {
        // Fails when libmimalloc is linked after libc (glibc's malloc would win).
        #expect(portcullis_allocator_is_mimalloc())
    }

    @Test func openSSLAllocatesThroughOurFunctions() {
        #expect(portcullis_allocator_openssl_functions_installed())
    }

    @Test(arguments: [16 * 1024, 16 * 1024 + 325, 18 * 1024 + 13, 64 * 1024, 1 << 20])
    func openSSLRecordSizedBlocksStartHalfAPageIn(size: Int) {
        #expect(portcullis_allocator_openssl_page_offset(UInt(size)) == 2048)
    }

    @Test(arguments: [100, 4096, 8 * 1024])
    func openSSLSmallerBlocksAreLeftWhereMimallocPutsThem(size: Int) {
        let offset = portcullis_allocator_openssl_page_offset(UInt(size))
        #expect(offset != UInt.max)
        #expect(offset % 16 == 0)
    }
}
