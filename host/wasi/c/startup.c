/* The start-up probe of the C host (bench group "startup"): in a fresh process, the time from the
 * miniRIB in hand to the first decision through the wasm2c build (build/c/ringroute-c-startup):
 * rr_open (the runtime's and the module's one-time init + a fresh instance: its linear memory
 * allocated and initialised) + rr_load_rib (rr_alloc, copy in, rr_load) + one rr_route_req
 * (service 0, flags 0), timed with clock_gettime(CLOCK_MONOTONIC). The module is compiled C, so
 * there is no compile step to time: gcc did it at build time. Prints the milliseconds.
 *   ringroute-c-startup <minirib.bin> */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "readfile.h"
#include "ringroute.h"


int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: ringroute-c-startup <minirib.bin>\n");
    return 2;
  }
  size_t len = 0;
  uint8_t *rib = rr_read_file(argv[1], &len);
  if (!rib) { perror(argv[1]); return 1; }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rr_router *r = rr_open();
  if (!r) { fprintf(stderr, "rr_open: out of memory\n"); return 1; }
  int code = rr_load_rib(r, rib, len);
  if (code != 0) { fprintf(stderr, "the probe miniRIB did not load: %d\n", code); return 1; }
  int32_t d = rr_route_req(r, 0, 0, 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (d < 0) { fprintf(stderr, "the probe route failed: %d\n", d); return 1; }
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf("%.3f\n", ms);
  rr_close(r);
  free(rib);
  return 0;
}
