// The byte layout of the shared-memory router (spec/shared.md has the diagrams and the rules):
// the control block, the thread records, the generation slots, the load cells and the per-thread
// journal, all inside the one WebAssembly.Memory that every thread's instance of
// build/ringroute.shared.wasm imports. This file is the one source of these numbers:
// assembly/shared-layout.ts is generated from it by scripts/gen-shared.mjs (`npm run gen`).
// Keep it to `export const NAME = <integer>;` lines so the generator can read it.

// ── control block (CB_SIZE bytes, 64-aligned; the publish word alone on its cache line) ──
export const CB_MAGIC_VALUE = 0x48535252; // bytes "RRSH"
export const CB_VERSION_VALUE = 1;
export const CB_MAGIC = 0; // u32
export const CB_VERSION = 4; // u32
export const CB_THREADS = 8; // u32: T, thread records
export const CB_SLOTS = 12; // u32: K = T + 2, generation slots
export const CB_THREAD_TABLE = 16; // u32: address of T thread records
export const CB_SLOT_TABLE = 20; // u32: address of K slot records
export const CB_JOURNAL_CAP = 24; // u32: J, journal entries per thread
export const CB_SCRATCH_SIZE = 28; // u32: bytes of each thread's host scratch area
export const CB_EPOCH = 32; // u32: epoch of the last publish (publisher only)
export const CB_FREE_CELLS = 36; // u32: free cell list head, a cell address (0 = empty; publisher only)
export const CB_ORPHANS = 40; // u32: orphan cell list head (publisher only)
export const CB_CHUNKS = 44; // u32: cell chunks allocated (statistics)
export const CB_FLAGS = 48; // u32: SHARED_POISON, ...
export const CB_PUBLISHED = 64; // u32: the publish word, epoch << SLOT_BITS | slot (0 = nothing yet)
export const CB_SIZE = 128;

/** The publish word: the low SLOT_BITS bits are the slot, the rest the publish epoch (wraps, never 0). */
export const SLOT_BITS = 8;
export const SLOT_MASK = 0xff;
export const EPOCH_MASK = 0xffffff;
/** The most thread records a shared router has (K = T + 2 slots must fit SLOT_BITS). */
export const MAX_THREADS = 64;

// CB_FLAGS bits
export const SHARED_POISON = 1; // fill a generation's miniRIB with POISON_BYTE before it is freed (tests)
export const POISON_BYTE = 0xdd;

// ── thread record (TR_SIZE bytes, one cache line each) ──────────────────────────
export const TR_STATE = 0; // u32: THREAD_FREE | THREAD_ATTACHED (claimed with a compare-exchange)
export const TR_ANNOUNCE = 4; // u32: the publish word this thread decides on (0 = none: pins nothing)
export const TR_OWNER = 8; // u32: the host's name for the thread (Node: worker threadId + 1; 0 = unknown)
export const TR_JOURNAL = 12; // u32: address of J journal entries
export const TR_SCRATCH = 16; // u32: address of the host scratch area (CB_SCRATCH_SIZE bytes)
export const TR_BATCH = 20; // u32: address of route_batch's scratch (BATCH_SCRATCH bytes)
export const TR_UNTRACKED = 24; // u32: begins not in the journal (it was full)
export const TR_ATTACHES = 28; // u32: how many times the record was attached (statistics)
export const TR_SIZE = 64;
export const THREAD_FREE = 0;
export const THREAD_ATTACHED = 1;
export const BATCH_SCRATCH = 512; // route_batch's shard + touch arrays: 2 × 64 × u32

// ── generation slot record (GS_SIZE bytes) ─────────────────────────────────────
export const GS_STATE = 0; // u32: SLOT_FREE | SLOT_BUILT | SLOT_PUBLISHED | SLOT_RETIRED
export const GS_GEN = 4; // u32: the generation header (assembly/router.ts), which owns the miniRIB
export const GS_EPOCH = 8; // u32: the epoch it was published with
export const GS_RIB_BYTES = 12; // u32: the miniRIB's length
export const GS_SIZE = 16;
export const SLOT_FREE = 0;
export const SLOT_BUILT = 1;
export const SLOT_PUBLISHED = 2;
export const SLOT_RETIRED = 3;

// ── load cell (CELL_SIZE bytes, 8-aligned, in chunks of CELLS_PER_CHUNK) ────────
export const CELL_COUNT = 0; // i32: outstanding requests of every thread (low half of the 64-bit word)
export const CELL_TAG = 4; // u32: bumped each time the cell is freed (high half of the word)
export const CELL_REPORTED = 8; // f64: the reported load (i64 atomic store of its bits)
export const CELL_REFS = 16; // u32: live generations that name the cell (publisher only)
export const CELL_NEXT = 20; // u32: next cell of the free or orphan list (publisher only)
export const CELL_SIZE = 24;
export const CELLS_PER_CHUNK = 16384;
export const FIRST_TAG = 1;

// ── journal entry (JE_SIZE bytes): one per server with requests of this thread in flight ──
export const JE_CELL = 0; // u32: the cell's address (0 = a free entry)
export const JE_COUNT = 4; // u32: requests begun and not ended
export const JE_SIZE = 8;
export const NO_TICKET = 0xffffffff;

// ── shared_stat() selectors ────────────────────────────────────────────────────
export const STAT_LIVE_SLOTS = 1; // slots built, published or retired
export const STAT_RETIRED = 2; // retired slots still pinned by a thread
export const STAT_CELLS = 3; // cells named by a live generation
export const STAT_ORPHANS = 4; // cells named by none, still counting requests in flight
export const STAT_FREE_CELLS = 5;
export const STAT_CHUNKS = 6;
export const STAT_OUTSTANDING = 7; // Σ outstanding counts over every cell (O(cells))
export const STAT_LIVE_BLOCKS = 8; // allocator blocks in use
export const STAT_FREE_BYTES = 9; // allocator free-list bytes
export const STAT_ATTACHED = 10; // thread records attached

/** Default journal entries per thread and host scratch bytes (createSharedRouter options). */
export const DEFAULT_JOURNAL = 4096;
export const SHARED_SCRATCH_SIZE = 65536;
/** The shared module's declared memory (pages of 64 KiB): initial, and the most it may grow to. */
export const SHARED_INITIAL_PAGES = 4;
export const SHARED_MAX_PAGES = 65535; // as alloc.ts: every address and block end fits a u32
/** attach(): take the lowest free thread record. */
export const ANY_THREAD = 0xffffffff;
/** route_current() answers −NEW_GENERATION when a publish happened since the thread entered. */
export const NEW_GENERATION = 0x7fffffff;
