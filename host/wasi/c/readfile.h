/* A whole file into a malloc'd buffer, for the C host's tools (runner, CLI, bench, start-up probe):
 * read in growing chunks, so pipes and other unseekable files work too. Returns NULL when the file
 * cannot be opened or memory runs out; *len gets its length. */
#ifndef RINGROUTE_READFILE_H
#define RINGROUTE_READFILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint8_t *rr_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0, got;
  do {
    if (n == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      uint8_t *b = realloc(buf, cap);
      if (!b) { free(buf); fclose(f); return NULL; }
      buf = b;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
  } while (got > 0);
  fclose(f);
  *len = n;
  return buf;
}

#endif
