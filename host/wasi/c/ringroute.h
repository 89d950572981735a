/* ringroute for C: a small library over ringroute.scalar.wasm compiled to C by wasm2c (wabt 1.0.32).
 *
 * The routing core is the WebAssembly module and nothing else: every call below is one call of
 * the module's flat ABI (spec/abi.md) on a router's own module instance, so a C host makes exactly
 * the decisions of every other runtime (npm run conformance:all proves it).
 *
 * Instances. This wasm2c generates an instance struct (Z_ringroute_instance_t: the module's
 * globals and its linear memory), not process globals, so any number of routers live side by
 * side in one process: rr_open() instantiates the module afresh (its own memory, its own RNG,
 * which the first successful load seeds with the client's seed) and rr_close() frees it.
 *
 * Threads. The wasm2c runtime keeps its trap target (a jmp_buf) and its call-depth counter in
 * process globals, so calls into this library must not run concurrently, not even on different
 * routers: serialise them (one lock around the library, or one thread). A router is not
 * thread-safe either way.
 *
 * Traps. The core has no path that traps on validated data (the loader validates first), but
 * every call runs under the runtime's trap guard anyway: a trap (an out-of-bounds access, call
 * stack exhaustion) comes back as RR_E_TRAP, never as a crash. After a trap, close the router.
 *
 * Memory. Linear memory is calloc'd and grows with realloc (the build uses explicit bounds
 * checks, not the 8 GiB guard-page reservation and SIGSEGV handler: the library is also loaded
 * into Python, where installing a signal handler behind the interpreter's back is not welcome).
 * So the memory may MOVE whenever it grows, which happens only inside rr_load_rib: every pointer
 * into it (rr_load_table, rr_memory) must be fetched again after a load.
 *
 * Error codes: negative spec codes (bindings/errors.ts): rr_route_req answers a server index >= 0
 * or -RR_NO_SERVICE / -RR_NO_KEY / -RR_NO_SERVER / -RR_NO_REPLICA; rr_load_rib answers 0 or
 * -code (-RR_BAD_MAGIC, -RR_SERVER_WEIGHT, ...).
 */
#ifndef RINGROUTE_H
#define RINGROUTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RR_API __attribute__((visibility("default")))
#else
#define RR_API
#endif

/* decisions (spec/routing.md §3) */
enum {
  RR_NO_SERVICE = 1, /* svc out of range (a name the data does not have: pass -1) */
  RR_NO_KEY = 2,     /* the service is sharded or key-hashed and the request has no key */
  RR_NO_SERVER = 3,  /* no server of the service is up in any ring */
  RR_NO_REPLICA = 4, /* no replica of the shard is up with that role in any ring */
  RR_OUT_OF_MEMORY = 25, /* rr_load_rib: linear memory cannot grow to hold the buffer */
  RR_NOT_LOADED = 26,
  RR_E_TRAP = 1000, /* -RR_E_TRAP: the module trapped (see "Traps" above) */
};

/* rr_route_req flags */
enum {
  RR_ROUTE_HAS_KEY = 1, /* key_hash is given (read only with this flag) */
  RR_ROUTE_PRIMARY = 2, /* sharded services: the shard's primary only */
};

typedef struct rr_router rr_router;

/* A fresh router (a new module instance, nothing loaded). NULL when out of memory. */
RR_API rr_router *rr_open(void);

/* Frees the router and its linear memory; every pointer into it dies. NULL is fine. */
RR_API void rr_close(rr_router *r);

/* Validates the miniRIB `buf[0..len)` (spec/minirib.md) and, if it is good, makes it the routing
 * data: 0, or -code with the previous data still in force (rr_error_detail tells the entry).
 * The bytes are copied into the module (rr_alloc + memcpy + rr_load): the caller keeps `buf`.
 * Loads of servers that keep their (service name, id) carry over; new servers start at 0.
 * The linear memory may move: re-fetch rr_load_table() afterwards. */
RR_API int rr_load_rib(rr_router *r, const uint8_t *buf, size_t len);

/* After a failed rr_load_rib: the index of the offending entry, or 0xFFFFFFFF. */
RR_API uint32_t rr_error_detail(rr_router *r);

/* 1 once a load succeeded. */
RR_API int rr_is_loaded(rr_router *r);

/* The header generation of the data in force. */
RR_API uint64_t rr_generation(rr_router *r);

RR_API uint32_t rr_service_count(rr_router *r);

/* The index of the service named name[0..len) (UTF-8), or -1. O(1) expected: cache it per name. */
RR_API int32_t rr_service_index(rr_router *r, const char *name, size_t len);

/* Number of servers of a service (route answers an index below it); 0 for an svc out of range. */
RR_API uint32_t rr_server_count(rr_router *r, int32_t svc);

/* The slot of the service's server 0 in the load table: server i is at rr_first(svc) + i. */
RR_API uint32_t rr_first(rr_router *r, int32_t svc);

/* The id of server i of service svc, as a pointer into the module's copy of the miniRIB (NOT
 * NUL-terminated: *len gets its length). Valid until the next rr_load_rib. NULL when out of range. */
RR_API const char *rr_server_id(rr_router *r, int32_t svc, uint32_t i, size_t *len);

/* The load table of the data in force: rr_load_count() doubles, slot rr_first(svc) + i for server
 * i of svc. The caller reads and writes it in place (a load is what pick-2 compares: in-flight
 * requests, a latency EWMA, ...). Owned by the router; it moves on every successful rr_load_rib
 * (fetch it again then). NULL before the first load. */
RR_API double *rr_load_table(rr_router *r);

/* Number of slots of the load table (all servers of the data in force). */
RR_API uint32_t rr_load_count(rr_router *r);

/* One decision: the server's index within service svc (>= 0), or -RR_NO_* (see above).
 * flags: RR_ROUTE_HAS_KEY | RR_ROUTE_PRIMARY. Draws from the router's RNG (pick-2). */
RR_API int32_t rr_route_req(rr_router *r, int32_t svc, uint32_t flags, uint32_t key_hash);

/* count decisions: out[j] = rr_route_req(svc[j], flags[j], key_hash[j]) in order; with track != 0
 * each successful decision adds 1 to its server's load before the next. Goes through the module's
 * scratch area in chunks. 0, or -RR_E_TRAP. */
RR_API int rr_route_many(rr_router *r, const int32_t *svc, const uint32_t *flags, const uint32_t *key_hash,
                         int32_t *out, size_t count, int track);

/* The router's splitmix32 state (tests, handing a stream over). */
RR_API uint32_t rr_rng_state(rr_router *r);
RR_API void rr_set_rng_state(rr_router *r, uint32_t state);

/* xxh32(buf[0..len), seed) computed by the module (key hashes for hosts without their own);
 * len up to rr_scratch_size (64 KiB), else 0. */
RR_API uint32_t rr_hash(rr_router *r, const uint8_t *buf, size_t len, uint32_t seed);

#ifdef __cplusplus
}
#endif

#endif /* RINGROUTE_H */
