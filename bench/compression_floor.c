// The compression libraries' own cost for one response: the bench's 100 KiB JSON streamed in
// 16 KiB parts, each flushed (as Portcullis does), a new stream per response, at a few levels of
// each coding: the floor any wrapper (Portcullis's, compress-nio's) adds to. Decision 0026.
//
//   gcc -O2 -o bench/out/compression_floor bench/compression_floor.c -lz -lbrotlienc -lzstd
//   bench/out/compression_floor bench/out/nginx-backend/100k.json   (made by bench.py)
//
// CPU time of this process (CLOCK_PROCESS_CPUTIME_ID), 300 responses per level.
#include <brotli/encode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static unsigned char in[200000], out[400000];
static size_t n;
static size_t gz(int level, size_t part) {
  z_stream s; memset(&s, 0, sizeof s);
  deflateInit2(&s, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  size_t total = 0;
  for (size_t off = 0; off <= n; off += part) {
    size_t len = off < n ? (n - off < part ? n - off : part) : 0;
    s.next_in = in + off; s.avail_in = len;
    int flush = off + part >= n + (off < n ? 0 : 1) && len == 0 ? Z_FINISH : Z_SYNC_FLUSH;
    if (len == 0) flush = Z_FINISH;
    do { s.next_out = out + total; s.avail_out = sizeof out - total; deflate(&s, flush); total = sizeof out - s.avail_out; } while (s.avail_out == 0);
    if (len == 0) break;
  }
  deflateEnd(&s); return total;
}
static size_t br(int q, size_t part) {
  BrotliEncoderState *s = BrotliEncoderCreateInstance(0, 0, 0);
  BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, q); BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, 18);
  size_t total = 0;
  for (size_t off = 0;; off += part) {
    size_t len = off < n ? (n - off < part ? n - off : part) : 0;
    const uint8_t *ni = in + off; size_t ai = len;
    BrotliEncoderOperation op = len ? BROTLI_OPERATION_FLUSH : BROTLI_OPERATION_FINISH;
    do { uint8_t *no = out + total; size_t ao = sizeof out - total; BrotliEncoderCompressStream(s, op, &ai, &ni, &ao, &no, 0); total = sizeof out - ao; }
    while (ai > 0 || BrotliEncoderHasMoreOutput(s) || (op == BROTLI_OPERATION_FINISH && !BrotliEncoderIsFinished(s)));
    if (!len) break;
  }
  BrotliEncoderDestroyInstance(s); return total;
}
static size_t zs(int level, size_t part) {
  ZSTD_CCtx *c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level); ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 19);
  size_t total = 0;
  for (size_t off = 0;; off += part) {
    size_t len = off < n ? (n - off < part ? n - off : part) : 0;
    ZSTD_inBuffer ib = {in + off, len, 0}; size_t r;
    do { ZSTD_outBuffer ob = {out + total, sizeof out - total, 0}; r = ZSTD_compressStream2(c, &ob, &ib, len ? ZSTD_e_flush : ZSTD_e_end); total += ob.pos; } while (r != 0 || ib.pos < ib.size);
    if (!len) break;
  }
  ZSTD_freeCCtx(c); return total;
}
int main(int argc, char **argv) {
  FILE *f = fopen(argv[1], "rb"); n = fread(in, 1, sizeof in, f); fclose(f);
  size_t part = 16384; int rounds = 300;
  struct { const char *name; size_t (*fn)(int, size_t); int level; } cases[] = {
    {"gzip", gz, 1}, {"gzip", gz, 3}, {"gzip", gz, 6}, {"br", br, 1}, {"br", br, 2}, {"br", br, 3}, {"br", br, 4}, {"br", br, 5}, {"br", br, 6}, {"zstd", zs, 1}, {"zstd", zs, 3}, {"zstd", zs, 6}};
  for (int i = 0; i < 12; i++) {
    size_t size = 0; double t0 = now();
    for (int r = 0; r < rounds; r++) size = cases[i].fn(cases[i].level, part);
    double per = (now() - t0) / rounds;
    printf("%-4s %2d: %6zu bytes (%.1f%%), %7.1f us per response, %.2f ns/byte\n", cases[i].name, cases[i].level, size, 100.0 * size / n, per * 1e6, per * 1e9 / n);
  }
}
