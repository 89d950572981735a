/* ringroute-c: route one request with the C host.
 *   ringroute-c route <minirib.bin> <svc-index> [key-hash]
 * Prints the decision (server index and id) or the error code; exit 1 on a refusal/no decision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"
#include "ringroute.h"

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5 || strcmp(argv[1], "route") != 0) {
    fprintf(stderr, "usage: ringroute-c route <minirib.bin> <svc-index> [key-hash]\n");
    return 2;
  }
  size_t len = 0;
  uint8_t *buf = rr_read_file(argv[2], &len);
  if (!buf) { perror(argv[2]); return 2; }

  rr_router *r = rr_open();
  if (!r) { fprintf(stderr, "out of memory\n"); return 1; }
  int code = rr_load_rib(r, buf, len);
  free(buf);
  if (code != 0) {
    uint32_t detail = rr_error_detail(r);
    if (detail == 0xFFFFFFFFu) printf("refused %d\n", -code); else printf("refused %d at %u\n", -code, detail);
    rr_close(r);
    return 1;
  }
  int32_t svc = (int32_t)strtol(argv[3], NULL, 0);
  uint32_t flags = 0, key = 0;
  if (argc == 5) { flags |= RR_ROUTE_HAS_KEY; key = (uint32_t)strtoul(argv[4], NULL, 0); }
  int32_t d = rr_route_req(r, svc, flags, key);
  if (d < 0) { printf("error %d\n", -d); rr_close(r); return 1; }
  size_t n = 0;
  const char *id = rr_server_id(r, svc, (uint32_t)d, &n);
  printf("%d %.*s\n", d, (int)n, id ? id : "");
  rr_close(r);
  return 0;
}
