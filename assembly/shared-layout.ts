// GENERATED from bindings/shared-layout.ts by scripts/gen-shared.mjs — do not edit; run `npm run gen`.

export const CB_MAGIC_VALUE: u32 = 0x48535252; // bytes "RRSH"
export const CB_VERSION_VALUE: u32 = 1;
export const CB_MAGIC: u32 = 0; // u32
export const CB_VERSION: u32 = 4; // u32
export const CB_THREADS: u32 = 8; // u32: T, thread records
export const CB_SLOTS: u32 = 12; // u32: K = T + 2, generation slots
export const CB_THREAD_TABLE: u32 = 16; // u32: address of T thread records
export const CB_SLOT_TABLE: u32 = 20; // u32: address of K slot records
export const CB_JOURNAL_CAP: u32 = 24; // u32: J, journal entries per thread
export const CB_SCRATCH_SIZE: u32 = 28; // u32: bytes of each thread's host scratch area
export const CB_EPOCH: u32 = 32; // u32: epoch of the last publish (publisher only)
export const CB_FREE_CELLS: u32 = 36; // u32: free cell list head, a cell address (0 = empty; publisher only)
export const CB_ORPHANS: u32 = 40; // u32: orphan cell list head (publisher only)
export const CB_CHUNKS: u32 = 44; // u32: cell chunks allocated (statistics)
export const CB_FLAGS: u32 = 48; // u32: SHARED_POISON, ...
export const CB_PUBLISHED: u32 = 64; // u32: the publish word, epoch << SLOT_BITS | slot (0 = nothing yet)
export const CB_SIZE: u32 = 128;
export const SLOT_BITS: u32 = 8;
export const SLOT_MASK: u32 = 0xff;
export const EPOCH_MASK: u32 = 0xffffff;
export const MAX_THREADS: u32 = 64;
export const SHARED_POISON: u32 = 1; // fill a generation's miniRIB with POISON_BYTE before it is freed (tests)
export const POISON_BYTE: u32 = 0xdd;
export const TR_STATE: u32 = 0; // u32: THREAD_FREE | THREAD_ATTACHED (claimed with a compare-exchange)
export const TR_ANNOUNCE: u32 = 4; // u32: the publish word this thread decides on (0 = none: pins nothing)
export const TR_OWNER: u32 = 8; // u32: the host's name for the thread (Node: worker threadId + 1; 0 = unknown)
export const TR_JOURNAL: u32 = 12; // u32: address of J journal entries
export const TR_SCRATCH: u32 = 16; // u32: address of the host scratch area (CB_SCRATCH_SIZE bytes)
export const TR_BATCH: u32 = 20; // u32: address of route_batch's scratch (BATCH_SCRATCH bytes)
export const TR_UNTRACKED: u32 = 24; // u32: begins not in the journal (it was full)
export const TR_ATTACHES: u32 = 28; // u32: how many times the record was attached (statistics)
export const TR_SIZE: u32 = 64;
export const THREAD_FREE: u32 = 0;
export const THREAD_ATTACHED: u32 = 1;
export const BATCH_SCRATCH: u32 = 512; // route_batch's shard + touch arrays: 2 × 64 × u32
export const GS_STATE: u32 = 0; // u32: SLOT_FREE | SLOT_BUILT | SLOT_PUBLISHED | SLOT_RETIRED
export const GS_GEN: u32 = 4; // u32: the generation header (assembly/router.ts), which owns the miniRIB
export const GS_EPOCH: u32 = 8; // u32: the epoch it was published with
export const GS_RIB_BYTES: u32 = 12; // u32: the miniRIB's length
export const GS_SIZE: u32 = 16;
export const SLOT_FREE: u32 = 0;
export const SLOT_BUILT: u32 = 1;
export const SLOT_PUBLISHED: u32 = 2;
export const SLOT_RETIRED: u32 = 3;
export const CELL_COUNT: u32 = 0; // i32: outstanding requests of every thread (low half of the 64-bit word)
export const CELL_TAG: u32 = 4; // u32: bumped each time the cell is freed (high half of the word)
export const CELL_REPORTED: u32 = 8; // f64: the reported load (i64 atomic store of its bits)
export const CELL_REFS: u32 = 16; // u32: live generations that name the cell (publisher only)
export const CELL_NEXT: u32 = 20; // u32: next cell of the free or orphan list (publisher only)
export const CELL_SIZE: u32 = 24;
export const CELLS_PER_CHUNK: u32 = 16384;
export const FIRST_TAG: u32 = 1;
export const JE_CELL: u32 = 0; // u32: the cell's address (0 = a free entry)
export const JE_COUNT: u32 = 4; // u32: requests begun and not ended
export const JE_SIZE: u32 = 8;
export const NO_TICKET: u32 = 0xffffffff;
export const STAT_LIVE_SLOTS: u32 = 1; // slots built, published or retired
export const STAT_RETIRED: u32 = 2; // retired slots still pinned by a thread
export const STAT_CELLS: u32 = 3; // cells named by a live generation
export const STAT_ORPHANS: u32 = 4; // cells named by none, still counting requests in flight
export const STAT_FREE_CELLS: u32 = 5;
export const STAT_CHUNKS: u32 = 6;
export const STAT_OUTSTANDING: u32 = 7; // Σ outstanding counts over every cell (O(cells))
export const STAT_LIVE_BLOCKS: u32 = 8; // allocator blocks in use
export const STAT_FREE_BYTES: u32 = 9; // allocator free-list bytes
export const STAT_ATTACHED: u32 = 10; // thread records attached
export const DEFAULT_JOURNAL: u32 = 4096;
export const SHARED_SCRATCH_SIZE: u32 = 65536;
export const SHARED_INITIAL_PAGES: u32 = 4;
export const SHARED_MAX_PAGES: u32 = 65535; // as alloc.ts: every address and block end fits a u32
export const ANY_THREAD: u32 = 0xffffffff;
export const NEW_GENERATION: u32 = 0x7fffffff;
