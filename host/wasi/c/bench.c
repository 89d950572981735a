/* The native reference of the benchmarks (bench group "native"): the wasm2c build of the module,
 * timed on the same decisions the JS side times, in the same run.
 *   ringroute-c-bench <minirib.bin> <svc-index> <iterations> [key-hash-file]
 * Prints the mean ns per rr_route_req call: keyless requests, or, with a file of u32 key hashes,
 * keyed ones cycling through it. The loop is the host's: one call per decision, result summed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "readfile.h"
#include "ringroute.h"


int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: ringroute-c-bench <minirib.bin> <svc-index> <iterations> [key-hash-file]\n");
    return 2;
  }
  size_t len = 0, klen = 0;
  uint8_t *rib = rr_read_file(argv[1], &len);
  if (!rib) { perror(argv[1]); return 1; }
  int32_t svc = atoi(argv[2]);
  long iters = atol(argv[3]);
  uint32_t *keys = NULL;
  size_t nkeys = 0;
  if (argc > 4) {
    keys = (uint32_t *)rr_read_file(argv[4], &klen);
    if (!keys) { perror(argv[4]); return 1; }
    nkeys = klen / 4;
  }
  rr_router *r = rr_open();
  int code = rr_load_rib(r, rib, len);
  if (code != 0) { fprintf(stderr, "load refused: %d\n", code); return 1; }
  uint32_t flags = keys ? 1u : 0u;
  int64_t sum = 0;
  for (long i = 0; i < iters / 10; i++) sum += rr_route_req(r, svc, flags, keys ? keys[i % nkeys] : 0); /* warm-up */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < iters; i++) sum += rr_route_req(r, svc, flags, keys ? keys[i % nkeys] : 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)iters;
  printf("%.3f %lld\n", ns, (long long)sum);
  rr_close(r);
  return 0;
}
