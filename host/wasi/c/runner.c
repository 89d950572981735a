/* The C runtime runner (spec/runtimes.md): drives ringroute.scalar.wasm, compiled to C by wasm2c,
 * through its flat ABI (ringroute.h is a thin layer over it) over a folder of conformance
 * fixtures, and prints one line per fixture for scripts/conformance-all.mjs to check — exactly
 * what host/node/fixture-runner.mjs does. A fresh router (rr_open: a new module instance, so
 * the RNG starts from the client's seed) per fixture, closed after it.
 *   ringroute-c-runner <fixtures-dir> */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"
#include "ringroute.h"


static uint32_t u32at(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static double f64at(const uint8_t *p) { double d; uint64_t v = (uint64_t)u32at(p) | (uint64_t)u32at(p + 4) << 32; memcpy(&d, &v, 8); return d; }

static int is_run(const struct dirent *e) {
  size_t n = strlen(e->d_name);
  return n > 4 && strcmp(e->d_name + n - 4, ".run") == 0;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: ringroute-c-runner <fixtures-dir>\n"); return 2; }
  const char *dir = argv[1];
  struct dirent **list;
  int n = scandir(dir, &list, is_run, alphasort);
  if (n < 0) { perror(dir); return 2; }
  char path[4096];
  for (int k = 0; k < n; k++) {
    char name[1024];
    snprintf(name, sizeof name, "%.*s", (int)(strlen(list[k]->d_name) - 4), list[k]->d_name);
    free(list[k]);
    size_t rib_len, run_len;
    snprintf(path, sizeof path, "%s/%s.rib", dir, name);
    uint8_t *rib = rr_read_file(path, &rib_len);
    if (!rib) { printf("%s: skipped\n", name); continue; }
    snprintf(path, sizeof path, "%s/%s.run", dir, name);
    uint8_t *run = rr_read_file(path, &run_len);
    if (!run || run_len < 20) { fprintf(stderr, "%s: cannot read %s\n", name, path); return 1; }
    uint32_t flags = u32at(run + 8), n_loads = u32at(run + 12), n_req = u32at(run + 16);
    if (run_len < 20 + 8 * (size_t)n_loads + 12 * (size_t)n_req) { fprintf(stderr, "%s: short .run\n", name); return 1; }

    rr_router *r = rr_open(); /* one instance = one router */
    if (!r) { fprintf(stderr, "out of memory\n"); return 1; }
    int code = -rr_load_rib(r, rib, rib_len); /* the spec's code (the library answers -code) */
    if (flags & 2) {
      if (code == 0) printf("%s: loaded\n", name); else printf("%s: refused %d\n", name, code);
    } else if (code != 0) {
      printf("%s: refused %d\n", name, code);
    } else {
      double *loads = rr_load_table(r);
      for (uint32_t i = 0; i < n_loads; i++) loads[i] = f64at(run + 20 + 8 * i);
      printf("%s:", name);
      const uint8_t *p = run + 20 + 8 * (size_t)n_loads;
      for (uint32_t q = 0; q < n_req; q++, p += 12) {
        int32_t svc = (int32_t)u32at(p);
        int32_t d = rr_route_req(r, svc, u32at(p + 4), u32at(p + 8));
        printf(" %d", d);
        if ((flags & 1) && d >= 0) rr_load_table(r)[rr_first(r, svc) + (uint32_t)d] += 1;
      }
      printf("\n");
    }
    rr_close(r);
    free(rib);
    free(run);
  }
  free(list);
  return fflush(stdout) == 0 ? 0 : 1;
}
