#ifndef CCRYPT_SHIM_H
#define CCRYPT_SHIM_H

// libxcrypt: crypt_rn (reentrant password hashing), crypt_gensalt_rn and crypt_checksalt.
// Nothing else: this header only makes <crypt.h> visible to Swift.
#include <crypt.h>

#endif
