// The miniRIB byte layout, format version 1 (spec/minirib.md has the diagrams).
// This file is the one source of these numbers: assembly/layout.ts is generated from it by
// scripts/gen-shared.mjs (`npm run gen`), and tests/generated.test.ts fails if the two drift.
// Keep it to `export const NAME = <integer>;` lines so the generator can read it.

// ── header (64 bytes) ─────────────────────────────────────────────────────────
export const MAGIC = 0x42495252; // bytes "RRIB"
export const VERSION = 1;
export const HEADER_SIZE = 64;
export const H_MAGIC = 0; // u32
export const H_VERSION = 4; // u16
export const H_HEADER_SIZE = 6; // u16
export const H_TOTAL_LEN = 8; // u32
export const H_CHECKSUM = 12; // u32: xxh32(bytes[HEADER_SIZE..total), 0)
export const H_GEN_LO = 16; // u32
export const H_GEN_HI = 20; // u32
export const H_SECTION_COUNT = 24; // u32
export const H_FLAGS = 28; // u32, 0
export const H_RESERVED = 32; // 32 zero bytes up to HEADER_SIZE

// ── section table: SECTION_COUNT entries of 16 bytes at HEADER_SIZE ───────────
export const SECTION_ENTRY_SIZE = 16;
export const SE_KIND = 0;
export const SE_OFFSET = 4;
export const SE_SIZE = 8;
export const SE_COUNT = 12;
export const SECTION_ALIGN = 8;
export const SECTION_COUNT = 16;

// section kinds (1..SECTION_COUNT) and the size of one entry of each
export const S_STRINGS = 1;
export const S_CLIENT = 2;
export const S_REGIONS = 3;
export const S_RTT = 4;
export const S_SERVICES = 5;
export const S_SERVER_IDS = 6;
export const S_SERVER_HASH = 7;
export const S_SERVER_WEIGHT = 8;
export const S_SERVER_REGION = 9;
export const S_SERVER_STATE = 10;
export const S_RINGS = 11;
export const S_SPILL_REGIONS = 12;
export const S_SPILL_KEEP = 13;
export const S_SHARD_STARTS = 14;
export const S_SHARD_LISTS = 15;
export const S_SHARD_REPLICAS = 16;

export const STRINGS_ENTRY = 1;
export const CLIENT_ENTRY = 16;
export const REGIONS_ENTRY = 8;
export const RTT_ENTRY = 8;
export const SERVICES_ENTRY = 64;
export const SERVER_IDS_ENTRY = 8;
export const SERVER_HASH_ENTRY = 4;
export const SERVER_WEIGHT_ENTRY = 4;
export const SERVER_REGION_ENTRY = 4;
export const SERVER_STATE_ENTRY = 1;
export const RINGS_ENTRY = 8;
export const SPILL_REGIONS_ENTRY = 4;
export const SPILL_KEEP_ENTRY = 4;
export const SHARD_STARTS_ENTRY = 4;
export const SHARD_LISTS_ENTRY = 8;
export const SHARD_REPLICAS_ENTRY = 4;
/** The size of one entry of each section kind, indexed by kind (an array, so the generator skips it:
 *  assembly/minirib.ts maps kinds to the sizes above in entrySize()). */
export const ENTRY_SIZES: readonly number[] = [
  0, STRINGS_ENTRY, CLIENT_ENTRY, REGIONS_ENTRY, RTT_ENTRY, SERVICES_ENTRY,
  SERVER_IDS_ENTRY, SERVER_HASH_ENTRY, SERVER_WEIGHT_ENTRY, SERVER_REGION_ENTRY,
  SERVER_STATE_ENTRY, RINGS_ENTRY, SPILL_REGIONS_ENTRY, SPILL_KEEP_ENTRY,
  SHARD_STARTS_ENTRY, SHARD_LISTS_ENTRY, SHARD_REPLICAS_ENTRY,
];

// ── CLIENT entry (16 bytes) ───────────────────────────────────────────────────
export const C_ID_OFF = 0;
export const C_ID_LEN = 4;
export const C_REGION = 8;
export const C_SEED = 12;

// ── string reference (REGIONS, SERVER_IDS: 8 bytes) ───────────────────────────
export const STR_OFF = 0;
export const STR_LEN = 4;

// ── SERVICES entry (64 bytes) ─────────────────────────────────────────────────
export const SV_NAME_OFF = 0;
export const SV_NAME_LEN = 4;
export const SV_SERVER_FIRST = 8;
export const SV_SERVER_COUNT = 12;
export const SV_RING_FIRST = 16;
export const SV_RING_COUNT = 20;
export const SV_SPILL_FIRST = 24;
export const SV_SPILL_COUNT = 28;
export const SV_KEEP_FIRST = 32;
export const SV_SUBSET = 36;
export const SV_HASH_REPLICAS = 40;
export const SV_SHARD_FIRST = 44;
export const SV_SHARD_COUNT = 48;
export const SV_REPLICA_FIRST = 52;
export const SV_REPLICA_COUNT = 56;
export const SV_RESERVED = 60;

// ── SHARD_LISTS entry (8 bytes), SHARD_REPLICAS packing ───────────────────────
export const SL_FIRST = 0;
export const SL_COUNT = 4;
export const REPLICA_INDEX_BITS = 28;
export const REPLICA_INDEX_MASK = 0x0fffffff;
export const ROLE_SECONDARY = 0;
export const ROLE_PRIMARY = 1;

// ── server states, weights, spill ─────────────────────────────────────────────
export const STATE_UP = 0;
export const STATE_DRAINING = 1;
export const STATE_DOWN = 2;
export const WEIGHT_MAX = 1000000;
export const KEEP_ONE = 65536; // keep16 of a keep fraction of 1

// u64 all-ones (as two u32 halves) marks an unknown RTT and an unbounded ring
export const U32_ALL_ONES = 0xffffffff;

// ── hash seeds (spec/routing.md §1) ───────────────────────────────────────────
export const SEED_SERVER = 1;
export const SEED_CLIENT = 2;
export const SEED_KEY = 3;
export const SEED_PAIR = 4;

// ── route() flags of the flat ABI ─────────────────────────────────────────────
export const ROUTE_HAS_KEY = 1; // keyHash argument is meaningful
export const ROUTE_PRIMARY = 2; // role = primary (absent: any)
