#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H

// zlib (Debian: zlib1g-dev), for gzip response compression. No logic here (decision 0026).
#include <zlib.h>

#endif
