#ifndef PORTCULLIS_CALLOCATOR_H
#define PORTCULLIS_CALLOCATOR_H

// The process's memory allocator (docs/decisions/0015-mimalloc.md).
//
// Linking this target makes mimalloc the allocator of the whole process: libmimalloc is a
// needed library ahead of libc, so its malloc/free/realloc are the ones every library binds to.
// At load time a constructor also gives OpenSSL allocation functions of its own (see
// allocator.c): the only way to do that is before OpenSSL's first allocation.

#include <stdbool.h>

/// True when `malloc` returns memory from mimalloc's heap (the link order is right).
bool portcullis_allocator_is_mimalloc(void);

/// True when OpenSSL allocates through Portcullis's functions (false in sanitizer builds,
/// which must see every allocation, and when OpenSSL had allocated before the constructor ran).
bool portcullis_allocator_openssl_functions_installed(void);

/// Where OpenSSL's block of `size` bytes starts within its 4 KiB page (for tests): blocks of
/// 16 KiB and more (record buffers) start half a page in, smaller ones wherever mimalloc puts
/// them.
unsigned long portcullis_allocator_openssl_page_offset(unsigned long size);

#endif
