// The process's memory allocator: mimalloc, with OpenSSL's large blocks half a page in.
// Why, and what was measured: docs/decisions/0015-mimalloc.md.

#include "CAllocator.h"

#include <mimalloc.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define PORTCULLIS_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PORTCULLIS_SANITIZED 1
#endif

enum { PAGE = 4096, HALF_PAGE = PAGE / 2, RECORD_BUFFER = 16 * 1024 };

// OpenSSL copies every record's plaintext from our buffer into its own record buffer before
// encrypting it. mimalloc starts blocks of a page or more on a page boundary, so both buffers
// sit at nearly the same offset within their pages, and glibc's `rep movsb` copy between them
// runs several times slower on this CPU (4 KiB aliasing). Starting OpenSSL's record-sized
// blocks (16 KiB and more: its read and write buffers) half a page in keeps the two apart.
// Smaller blocks are left where mimalloc puts them: an offset block can take up to a page more,
// which on the `SSL` object and other per-connection state would cost ~5 KiB per idle
// connection (measured: 10,000 idle connections, 238 → 285 MiB). Record buffers are released
// while a connection is idle (`SSL_MODE_RELEASE_BUFFERS`), so theirs costs nothing then.
// `mi_free` and `mi_realloc` accept these blocks as they are.
static void *portcullis_openssl_malloc(size_t size, const char *file, int line) {
    (void)file;
    (void)line;
    return size >= RECORD_BUFFER ? mi_malloc_aligned_at(size, PAGE, HALF_PAGE) : mi_malloc(size);
}

static void *portcullis_openssl_realloc(void *pointer, size_t size, const char *file, int line) {
    (void)file;
    (void)line;
    if (pointer == NULL) {
        return portcullis_openssl_malloc(size, file, line);
    }
    return size >= RECORD_BUFFER ? mi_realloc_aligned_at(pointer, size, PAGE, HALF_PAGE) : mi_realloc(pointer, size);
}

static void portcullis_openssl_free(void *pointer, const char *file, int line) {
    (void)file;
    (void)line;
    mi_free(pointer);
}

// Runs when the executable is loaded, before `main` and before any OpenSSL allocation, which is
// the only time OpenSSL accepts new allocation functions. Sanitizer builds keep OpenSSL on the
// process's malloc, which the sanitizer intercepts, so leak checks see OpenSSL's memory too.
__attribute__((constructor)) static void portcullis_allocator_install(void) {
#if !defined(PORTCULLIS_SANITIZED)
    (void)CRYPTO_set_mem_functions(portcullis_openssl_malloc, portcullis_openssl_realloc, portcullis_openssl_free);
#endif
}

bool portcullis_allocator_is_mimalloc(void) {
    void *probe = malloc(64);
    bool result = probe != NULL && mi_is_in_heap_region(probe);
    free(probe);
    return result;
}

bool portcullis_allocator_openssl_functions_installed(void) {
    CRYPTO_malloc_fn allocate = NULL;
    CRYPTO_get_mem_functions(&allocate, NULL, NULL);
    return allocate == portcullis_openssl_malloc;
}

unsigned long portcullis_allocator_openssl_page_offset(unsigned long size) {
    void *block = CRYPTO_malloc(size, __FILE__, __LINE__);
    if (block == NULL) {
        return (unsigned long)-1;
    }
    unsigned long offset = (unsigned long)((uintptr_t)block % PAGE);
    CRYPTO_free(block, __FILE__, __LINE__);
    return offset;
}
