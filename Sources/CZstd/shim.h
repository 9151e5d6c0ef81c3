#ifndef CZSTD_SHIM_H
#define CZSTD_SHIM_H

// Zstandard (Debian: libzstd-dev), for zstd response compression. No logic here (decision 0026).
#include <zstd.h>

#if ZSTD_VERSION_NUMBER < 10400
#error "CZstd needs libzstd 1.4 or newer (ZSTD_compressStream2; Debian: apt-get install libzstd-dev)"
#endif

#endif
