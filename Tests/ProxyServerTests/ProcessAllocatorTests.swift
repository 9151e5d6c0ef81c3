import CAllocator
import Testing

/// The process's allocator (docs/decisions/0015-mimalloc.md): mimalloc for everything, and
/// OpenSSL's blocks of a page or more half a page in.
@Suite struct ProcessAllocatorTests {
    @Test func mallocIsMimalloc() {
        // Fails when libmimalloc is linked after libc (glibc's malloc would win).
        #expect(portcullis_allocator_is_mimalloc())
    }

    @Test func openSSLAllocatesThroughOurFunctions() {
        #expect(portcullis_allocator_openssl_functions_installed())
    }

    @Test(arguments: [4096, 16 * 1024 + 325, 17 * 1024, 64 * 1024, 1 << 20])
    func openSSLLargeBlocksStartHalfAPageIn(size: Int) {
        #expect(portcullis_allocator_openssl_page_offset(UInt(size)) == 2048)
    }

    @Test func openSSLSmallBlocksAreMimallocs() {
        let offset = portcullis_allocator_openssl_page_offset(100)
        #expect(offset != UInt.max)
        #expect(offset % 16 == 0)
    }
}
