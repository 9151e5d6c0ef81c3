#ifndef CBROTLI_SHIM_H
#define CBROTLI_SHIM_H

// The brotli encoder (Debian: libbrotli-dev), for br response compression. No logic here
// (decision 0026).
#include <brotli/encode.h>

#endif
