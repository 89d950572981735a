/* ringroute for C (ringroute.h): the flat ABI of ringroute.scalar.wasm (spec/abi.md) over the
 * C that wasm2c 1.0.32 generates from it (build/c/ringroute_wasm.{c,h}, module name "ringroute":
 * Z_ringroute_init_module / _instantiate / _free, exports Z_ringrouteZ_<name>(instance, ...)).
 * One rr_router = one Z_ringroute_instance_t = one router (its own memory and RNG). */
#include "ringroute.h"

#include <stdlib.h>
#include <string.h>

#include "ringroute_wasm.h"
#include "wasm-rt-impl.h"

/* miniRIB layout (bindings/layout.ts): just what rr_server_id / rr_load_count read */
#define HEADER_SIZE 64
#define H_SECTION_COUNT 24
#define SECTION_ENTRY_SIZE 16
#define SE_KIND 0
#define SE_OFFSET 4
#define SE_COUNT 12
#define S_STRINGS 1
#define S_SERVER_IDS 6
#define SERVER_IDS_ENTRY 8

struct rr_router {
  Z_ringroute_instance_t inst;
  uint32_t scratch, scratch_size;
  uint32_t rib;     /* address of the miniRIB in force (the core owns it), 0 before a load */
  uint32_t ids_at;  /* address of its SERVER_IDS section */
  uint32_t str_at;  /* address of its STRINGS section */
  uint32_t total;   /* servers of the data in force: the load table's length */
};

static int g_initialised = 0;

static void init_once(void) {
  if (g_initialised) return;
  wasm_rt_init();
  Z_ringroute_init_module();
  g_initialised = 1;
}

#define MEM(r) ((r)->inst.w2c_memory.data)
#define MEMSIZE(r) ((r)->inst.w2c_memory.size)

/* every call into the module runs under the runtime's trap guard: a trap longjmps back here */
#define GUARD(r, fail) \
  do { if (wasm_rt_impl_try() != 0) return (fail); } while (0)

static uint32_t rd32(const rr_router *r, uint32_t at) {
  uint32_t v;
  memcpy(&v, MEM(r) + at, 4); /* little-endian host (x86-64, aarch64), as wasm memory is */
  return v;
}

/* the section table entry of `kind` in the miniRIB at `rib` (one the core accepted), or 0 */
static uint32_t section_entry(const rr_router *r, uint32_t rib, uint32_t kind) {
  uint32_t count = rd32(r, rib + H_SECTION_COUNT);
  for (uint32_t e = 0; e < count; e++) {
    uint32_t at = rib + HEADER_SIZE + e * SECTION_ENTRY_SIZE;
    if (rd32(r, at + SE_KIND) == kind) return at;
  }
  return 0;
}

rr_router *rr_open(void) {
  init_once();
  rr_router *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  if (wasm_rt_impl_try() != 0) { free(r); return NULL; } /* the start function trapped */
  Z_ringroute_instantiate(&r->inst);
  if (!MEM(r)) { free(r); return NULL; }
  r->scratch = Z_ringrouteZ_rr_scratch(&r->inst);
  r->scratch_size = Z_ringrouteZ_rr_scratch_size(&r->inst);
  return r;
}

void rr_close(rr_router *r) {
  if (!r) return;
  Z_ringroute_free(&r->inst);
  free(r);
}

int rr_load_rib(rr_router *r, const uint8_t *buf, size_t len) {
  if (len > 0xFFFFFFFFu) return -RR_OUT_OF_MEMORY;
  GUARD(r, -RR_E_TRAP);
  uint32_t ptr = Z_ringrouteZ_rr_alloc(&r->inst, (uint32_t)len);
  if (ptr == 0) return -RR_OUT_OF_MEMORY;
  memcpy(MEM(r) + ptr, buf, len); /* after the alloc: it may have grown (moved) the memory */
  int32_t code = (int32_t)Z_ringrouteZ_rr_load(&r->inst, ptr, (uint32_t)len);
  if (code != 0) {
    Z_ringrouteZ_rr_free(&r->inst, ptr); /* the host still owns a refused block */
    return -code;
  }
  /* the core owns the block at ptr now (and frees it when a later load replaces it) */
  r->rib = ptr;
  uint32_t ids = section_entry(r, ptr, S_SERVER_IDS), str = section_entry(r, ptr, S_STRINGS);
  r->ids_at = ids ? ptr + rd32(r, ids + SE_OFFSET) : 0;
  r->total = ids ? rd32(r, ids + SE_COUNT) : 0;
  r->str_at = str ? ptr + rd32(r, str + SE_OFFSET) : 0;
  return 0;
}

uint32_t rr_error_detail(rr_router *r) {
  GUARD(r, 0xFFFFFFFFu);
  return Z_ringrouteZ_rr_error_detail(&r->inst);
}

int rr_is_loaded(rr_router *r) {
  GUARD(r, 0);
  return Z_ringrouteZ_rr_loaded(&r->inst) == 1;
}

uint64_t rr_generation(rr_router *r) {
  GUARD(r, 0);
  uint64_t lo = Z_ringrouteZ_rr_generation_lo(&r->inst);
  uint64_t hi = Z_ringrouteZ_rr_generation_hi(&r->inst);
  return hi << 32 | lo;
}

uint32_t rr_service_count(rr_router *r) {
  GUARD(r, 0);
  return Z_ringrouteZ_rr_service_count(&r->inst);
}

int32_t rr_service_index(rr_router *r, const char *name, size_t len) {
  if (len > r->scratch_size) return -1;
  GUARD(r, -1);
  memcpy(MEM(r) + r->scratch, name, len);
  return (int32_t)Z_ringrouteZ_rr_service_find(&r->inst, r->scratch, (uint32_t)len);
}

uint32_t rr_server_count(rr_router *r, int32_t svc) {
  GUARD(r, 0);
  return Z_ringrouteZ_rr_server_count(&r->inst, (uint32_t)svc);
}

uint32_t rr_first(rr_router *r, int32_t svc) {
  GUARD(r, 0);
  return Z_ringrouteZ_rr_server_first(&r->inst, (uint32_t)svc);
}

const char *rr_server_id(rr_router *r, int32_t svc, uint32_t i, size_t *len) {
  if (r->total == 0 || r->ids_at == 0 || svc < 0 || i >= rr_server_count(r, svc)) return NULL;
  uint32_t g = rr_first(r, svc) + i;
  uint32_t off = rd32(r, r->ids_at + g * SERVER_IDS_ENTRY + 0);
  uint32_t n = rd32(r, r->ids_at + g * SERVER_IDS_ENTRY + 4);
  if (len) *len = n;
  return (const char *)(MEM(r) + r->str_at + off);
}

double *rr_load_table(rr_router *r) {
  GUARD(r, NULL);
  uint32_t p = Z_ringrouteZ_rr_loads(&r->inst);
  return p == 0 ? NULL : (double *)(void *)(MEM(r) + p);
}

uint32_t rr_load_count(rr_router *r) { return r->total; }

int32_t rr_route_req(rr_router *r, int32_t svc, uint32_t flags, uint32_t key_hash) {
  GUARD(r, -RR_E_TRAP);
  return (int32_t)Z_ringrouteZ_rr_route(&r->inst, (uint32_t)svc, flags, key_hash);
}

int rr_route_many(rr_router *r, const int32_t *svc, const uint32_t *flags, const uint32_t *key_hash,
                  int32_t *out, size_t count, int track) {
  /* the scratch area holds `chunk` requests (12 bytes) and their answers (4 bytes) */
  const uint32_t chunk = r->scratch_size / 16;
  const uint32_t req = r->scratch, answers = r->scratch + chunk * 12;
  GUARD(r, -RR_E_TRAP);
  for (size_t start = 0; start < count; start += chunk) {
    uint32_t m = (uint32_t)(count - start < chunk ? count - start : chunk);
    uint8_t *p = MEM(r) + req;
    for (uint32_t j = 0; j < m; j++, p += 12) {
      memcpy(p, &svc[start + j], 4);
      memcpy(p + 4, &flags[start + j], 4);
      memcpy(p + 8, &key_hash[start + j], 4);
    }
    Z_ringrouteZ_rr_route_batch(&r->inst, req, m, answers, track ? 1u : 0u);
    memcpy(out + start, MEM(r) + answers, (size_t)m * 4);
  }
  return 0;
}

uint32_t rr_rng_state(rr_router *r) {
  GUARD(r, 0);
  return Z_ringrouteZ_rr_rng_state(&r->inst);
}

void rr_set_rng_state(rr_router *r, uint32_t state) {
  if (wasm_rt_impl_try() != 0) return;
  Z_ringrouteZ_rr_set_rng_state(&r->inst, state);
}

uint32_t rr_hash(rr_router *r, const uint8_t *buf, size_t len, uint32_t seed) {
  if (len > r->scratch_size) return 0;
  GUARD(r, 0);
  memcpy(MEM(r) + r->scratch, buf, len);
  return Z_ringrouteZ_rr_xxh32(&r->inst, r->scratch, (uint32_t)len, seed);
}
