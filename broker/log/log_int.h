/*
 * log_int.h - private to libsluice-log: the segment and log structures, the
 * in-memory indexes, the batch-header scanner and the helpers the log's
 * source files share. Nothing outside broker/log/ includes it.
 *
 * Files: index.c (offset and time index entries, their files), segment.c
 * (segment files: create, open, scan, recover, read), log.c (the log:
 * open, append, roll, read, flush, close), durability.c (rolled segments
 * synced later, the recovery point), retention.c (retention,
 * DeleteRecords and its checkpoint, timestamp lookups), cleaner.c
 * (compaction: planning, the key map pass, rewriting segments into merged
 * groups), cleaner_map.c (the bounded key map), cleaner_swap.c (putting
 * cleaned groups in place, and finishing or undoing a swap cut short).
 */
#ifndef SL_BROKER_LOG_INT_H
#define SL_BROKER_LOG_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "log.h"
#include "records.h"

#define LOG_MOD "log"

#define OIDX_ENTRY 8   /* int32 relative offset, int32 position */
#define TIDX_ENTRY 12  /* int64 timestamp, int32 relative offset */

/* Inactive segments kept open (fd + indexes in memory), most recently read
 * first; the active segment is always open and not counted. */
#define LOG_OPEN_INACTIVE_MAX 4

#define LOG_NAME_DIGITS 20
#define LOG_CHECKPOINT_NAME "log-start-offset-checkpoint"
#define LOG_CLEANER_CHECKPOINT_NAME "cleaner-offset-checkpoint"
#define LOG_RECOVERY_POINT_NAME "recovery-point-offset-checkpoint"

/* ---- big-endian helpers ---- */
static inline uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t be64(const uint8_t *p) { return ((uint64_t)be32(p) << 32) | be32(p + 4); }
static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

/* The entries of one index file, kept in the file's own format (big-endian
 * entries back to back): malloc'ed for the active segment (and while a file
 * is checked or rebuilt), mmapped read-only from the file for inactive
 * segments being read, so opening one costs no copy. Entries [0, written)
 * are in the file. */
typedef struct idx_arr {
    uint8_t *p;
    size_t n;        /* entries */
    size_t cap;      /* bytes allocated (malloc'ed) */
    size_t written;  /* entries already in the file */
    size_t map_len;  /* bytes mapped; 0 when malloc'ed */
} idx_arr_t;

/* A segment's offset index (o: int32 relative last offset of a batch,
 * int32 position) and time index (t: int64 timestamp, int32 relative
 * offset). */
typedef struct seg_index {
    idx_arr_t o, t;
    bool loaded;
} seg_index_t;

typedef struct seg {
    int64_t base;          /* from the file name */
    int64_t next_offset;   /* last offset of the last batch + 1 (base when empty) */
    int64_t size;          /* bytes of whole batches in the file */
    int64_t roll_base_ms;  /* segment_ms counts from here; -1 while empty */
    int64_t max_ts;        /* largest batch max timestamp, -1 when none */
    int64_t max_ts_off;    /* last offset of the batch holding max_ts, -1 */
    int64_t bytes_since_index; /* log bytes since the last offset-index entry */
    int fd;                /* -1 while closed */
    bool writable;         /* fd opened O_RDWR */
    bool unsynced;         /* appended bytes not yet fsynced (a rolled segment keeps
                            * it until durability.c syncs it) */
    bool idx_unsynced;     /* index files written but not yet fsynced */
    bool need_truncate;    /* a failed write left bytes after size */
    seg_index_t idx;
    sl_list_t lru;         /* in log->lru while open and inactive */
} seg_t;

struct sl_log {
    char *dir;
    sl_log_config_t cfg;
    seg_t **segs;          /* sorted by base offset; the last is active */
    size_t nsegs, segcap;
    int64_t start_offset;
    int64_t next_offset;
    bool force_roll;       /* the active segment cannot take the next offsets */
    int64_t unflushed_msgs;
    int64_t last_flush_ms;
    int64_t recovery_point; /* as last written to its file (durability.c); -1 none */
    bool rolled_unsynced;   /* a rolled segment may not be on disk yet */
    sl_list_t lru;         /* open inactive segments, most recent first */
    size_t nopen;
    sl_log_txn_aborted_t *aborted; /* txnindex.c: every segment's entries, in order */
    size_t naborted, abortcap;
    char errmsg[320];
};

/* ---- errors and paths (log.c) ---- */
sl_err_t log_fail(sl_log_t *log, sl_err_t err, const char *fmt, ...) SL_PRINTF(3, 4);
sl_err_t log_fail_errno(sl_log_t *log, const seg_t *seg, const char *ext, const char *what, int e);
/* "<dir>/<20 digits><ext>" into buf (PATH_MAX). */
void seg_path(const sl_log_t *log, int64_t base, const char *ext, char *buf, size_t n);
/* "<20 digits><ext>" for messages. */
void seg_name(int64_t base, const char *ext, char *buf, size_t n);
sl_err_t log_sync_dir(sl_log_t *log);
static inline seg_t *log_active(const sl_log_t *log) { return log->segs[log->nsegs - 1]; }

/* ---- indexes (index.c) ---- */
static inline int32_t oidx_rel(const seg_index_t *x, size_t i) { return (int32_t)be32(x->o.p + i * OIDX_ENTRY); }
static inline int32_t oidx_pos(const seg_index_t *x, size_t i)
{
    return (int32_t)be32(x->o.p + i * OIDX_ENTRY + 4);
}
static inline int64_t tidx_ts(const seg_index_t *x, size_t i) { return (int64_t)be64(x->t.p + i * TIDX_ENTRY); }
static inline int32_t tidx_rel(const seg_index_t *x, size_t i)
{
    return (int32_t)be32(x->t.p + i * TIDX_ENTRY + 8);
}
/* Frees or unmaps the entries. */
void idx_free(seg_index_t *idx);
/* Drops every entry (file contents are rewritten by idx_write_all). */
void idx_clear(seg_index_t *idx);
/* Append an entry unless it would not be strictly after the last one (an
 * equal entry adds nothing). SL_OK or SL_ERR_NOMEM. */
sl_err_t idx_oadd(seg_index_t *idx, int32_t rel, int32_t pos);
sl_err_t idx_tadd(seg_index_t *idx, int64_t ts, int32_t rel);
/* Largest entry with rel <= target, as an index, or -1 when none. */
ptrdiff_t idx_ofloor(const seg_index_t *idx, int32_t target_rel);
/* Largest entry whose position is <= pos, as an index, or -1. */
ptrdiff_t idx_olookup_pos(const seg_index_t *idx, int64_t pos);
/* Largest time entry with ts <= target: its rel, or -1 when none. */
int64_t idx_tlookup(const seg_index_t *idx, int64_t target_ts);
/* Records one batch at pos as an append does: keeps max_ts and adds index
 * entries every index_interval_bytes. */
sl_err_t seg_index_batch(seg_t *seg, int64_t pos, int64_t last_offset, int64_t max_ts, int64_t size,
                         int32_t interval);
/* The final time-index entry a segment gets when it stops being active. */
sl_err_t seg_index_finish(seg_t *seg);
/* Loads and validates both index files of seg against its size (and
 * next_offset when known_next). SL_OK, SL_ERR_NOENT (missing file),
 * SL_ERR_CORRUPT_MESSAGE (why says what), SL_ERR_NOMEM, SL_ERR_IO. */
sl_err_t idx_load(sl_log_t *log, seg_t *seg, bool known_next, char *why, size_t whylen);
/* Maps both index files of an inactive segment read-only, without
 * checking the entries (they were checked when the log was opened, and
 * every lookup is checked against the batch it leads to). SL_OK,
 * SL_ERR_NOENT, SL_ERR_CORRUPT_MESSAGE (why says what), SL_ERR_IO. */
sl_err_t idx_map(sl_log_t *log, seg_t *seg, char *why, size_t whylen);
/* Appends the unwritten entries to the files; fsyncs them when sync. */
sl_err_t idx_write(sl_log_t *log, seg_t *seg, bool sync);
/* Rewrites both files from the entries in memory. */
sl_err_t idx_write_all(sl_log_t *log, seg_t *seg);

/* ---- batch header scanner (segment.c) ---- */
typedef struct seg_scan {
    int fd;
    int64_t end;        /* bytes of file to walk */
    int64_t pos;        /* the next batch */
    uint8_t *buf;
    size_t cap;
    size_t chunk;       /* bytes read at a time */
    int64_t buf_pos;    /* file position of buf[0] */
    size_t buf_len;
    char why[200];      /* what stopped the walk */
} seg_scan_t;

typedef struct log_hdr {
    int64_t base_offset;
    int64_t last_offset;
    int64_t max_timestamp;
    int64_t size;       /* whole batch */
    int32_t records;
    int16_t attributes;
} log_hdr_t;

/* chunk: bytes per read (large for whole-file walks, small for hops). */
void scan_init(seg_scan_t *sc, int fd, int64_t from, int64_t end, size_t chunk);
void scan_fini(seg_scan_t *sc);
/* The batch at sc->pos; advances past it. check_crc reads the whole batch
 * and checks its CRC. SL_OK; SL_ERR_NOENT at the end; SL_ERR_CORRUPT_MESSAGE
 * (sc->why says what: torn, zero-filled, bad magic, bad CRC...); SL_ERR_IO;
 * SL_ERR_NOMEM. sc->pos stays at a failed batch. */
sl_err_t scan_next(seg_scan_t *sc, bool check_crc, log_hdr_t *h);
/* Parses the first SL_BATCH_HEADER_SIZE bytes of a batch. */
sl_err_t hdr_parse(const uint8_t *p, log_hdr_t *h, char *why, size_t whylen);

/* ---- segments (segment.c) ---- */
seg_t *seg_new(int64_t base);
void seg_free(seg_t *seg);
/* Creates the three files of a new empty segment (truncating leftovers). */
sl_err_t seg_create(sl_log_t *log, int64_t base, seg_t **out);
/* Opens seg's log file (writable for the active segment). */
sl_err_t seg_open_fd(sl_log_t *log, seg_t *seg, bool writable);
/* Closes seg's fd and frees its indexes, taking it off the open list. */
void log_seg_release(sl_log_t *log, seg_t *seg);
/* Walks seg from byte 0, rebuilding its indexes, next offset and max
 * timestamp. Stops at the first bad batch: *valid gets the bytes before it
 * and why says what was wrong. The caller decides whether to truncate. */
sl_err_t seg_rebuild(sl_log_t *log, seg_t *seg, bool check_crc, int64_t *valid, char *why, size_t whylen);
/* Where to start looking for target in seg: the position of the largest
 * offset-index entry at or below it (0 when none), and the last offset the
 * batch there must have (-1 when starting at 0). Nothing in an index file is
 * trusted until the batch it points at says the same. */
void seg_start_for(const seg_t *seg, int64_t target, int64_t *from, int64_t *expect_last);
/* Walks seg's headers from byte from to the first batch whose last offset is
 * >= target (or, with ts >= 0, whose max timestamp is >= ts and last offset
 * >= target). The first batch must end at expect_last when that is >= 0.
 * SL_OK with *pos and *h; SL_ERR_NOENT when none; SL_ERR_CORRUPT_MESSAGE
 * when the walk hit bytes that are not a batch (why says what); SL_ERR_IO. */
sl_err_t seg_find(sl_log_t *log, seg_t *seg, int64_t from, int64_t expect_last, int64_t target, int64_t ts,
                  int64_t *pos, log_hdr_t *h, char *why, size_t whylen);
/* seg_find from the index position, falling back to a walk from byte 0
 * when the index leads to bytes that disagree with it. */
sl_err_t seg_find_indexed(sl_log_t *log, seg_t *seg, int64_t target, int64_t ts, int64_t from_hint,
                          int64_t *pos, log_hdr_t *h);
/* Cuts seg's file to valid bytes (logging what was cut). */
sl_err_t seg_truncate(sl_log_t *log, seg_t *seg, int64_t valid, const char *why);
/* Makes an inactive segment readable: opens its fd and loads its indexes,
 * evicting the least recently used open segment past the cap. */
sl_err_t log_seg_use(sl_log_t *log, seg_t *seg);
/* Removes seg's files (the log forgets it separately). */
sl_err_t seg_unlink(sl_log_t *log, seg_t *seg);

/* ---- aborted transaction index (txnindex.c; log.h "Transactions") ---- */

#define TXNIDX_ENTRY 34

/* Reads every segment's .txnindex into log->aborted after the segments
 * were loaded; rebuilds them all from the log when one is damaged or (not
 * clean) the active segment has an abort marker without an entry.
 * SL_OK, SL_ERR_IO, SL_ERR_NOMEM. */
sl_err_t txnidx_load(sl_log_t *log, bool clean);
/* Copies the aborted transactions overlapping [from, upto) for a cleaner
 * job (*out malloc'ed, NULL when none). SL_OK or SL_ERR_NOMEM. */
sl_err_t txnidx_copy(const sl_log_t *log, int64_t from, int64_t upto, sl_log_txn_aborted_t **out, size_t *n);
/* Whether a transactional batch of producer_id at base_offset belongs to
 * one of the n aborted transactions a (its keys must not supersede
 * committed records when the cleaner builds its key map). */
bool txnidx_aborted_batch(const sl_log_txn_aborted_t *a, size_t n, int64_t producer_id, int64_t base_offset);
/* Forgets the entries whose marker is below offset (their segments went). */
void txnidx_drop_below(sl_log_t *log, int64_t offset);
/* Rewrites every segment's .txnindex from memory (after segments merged). */
sl_err_t txnidx_write_all(sl_log_t *log);

/* ---- durability (durability.c) ---- */
/* The recovery point: the base of the oldest segment with bytes or index
 * entries not yet fsynced, else the active segment's base. */
int64_t log_recovery_point_calc(const sl_log_t *log);
/* Writes the recovery point file when the point moved. SL_OK, SL_ERR_IO. */
sl_err_t log_recovery_point_store(sl_log_t *log);
/* fsyncs every rolled segment not synced yet, here and now (flush, close),
 * then stores the recovery point. SL_OK, SL_ERR_IO (errmsg set). */
sl_err_t log_sync_rolled_now(sl_log_t *log);

/* ---- log-level helpers ---- */
/* The index of the segment holding offset: the last one with base <= offset
 * (0 when offset is below every base). */
size_t log_find_seg(const sl_log_t *log, int64_t offset);
sl_err_t log_roll(sl_log_t *log, int64_t now_ms);
/* Deletes the n oldest segments (never the active one). */
sl_err_t log_drop_oldest(sl_log_t *log, size_t n);
/* Offset checkpoint files in the log's directory ("0\n<offset>\n"): read
 * gives -1 when the file is missing or malformed (the latter logged); write
 * replaces it atomically (temp file, fsync, rename, directory fsync).
 * SL_OK or SL_ERR_IO (errmsg set). */
sl_err_t log_offset_file_read(sl_log_t *log, const char *name, int64_t *value);
sl_err_t log_offset_file_write(sl_log_t *log, const char *name, int64_t value);

/* ---- cleaner key map (cleaner_map.c) ----
 * Fixed-size open addressing: 24-byte entries (128-bit keyed hash of the
 * record key, latest offset), filled to CLEAN_MAP_LOAD_PERCENT of its
 * slots at most, allocated once by init and never grown. */
#define CLEAN_MAP_ENTRY_BYTES 24
#define CLEAN_MAP_LOAD_PERCENT 90

typedef struct clean_map {
    void *slots;
    size_t nslots, used, max_used;
    uint64_t key[2];   /* SipHash key, random per map */
    int64_t latest;    /* largest offset put, -1 */
} clean_map_t;

/* SipHash-2-4 with 128-bit output of data[0..len) under key (out[0] is
 * the first 8 output bytes, little-endian). */
void clean_siphash128(const uint64_t key[2], const void *data, size_t len, uint64_t out[2]);
/* Slots: budget_bytes / 24, but no more than max_keys need at the load
 * factor, and at least 2 (one usable). SL_OK or SL_ERR_NOMEM. */
sl_err_t clean_map_init(clean_map_t *m, int64_t budget_bytes, int64_t max_keys);
void clean_map_fini(clean_map_t *m);
/* Records key -> offset (the larger offset wins). false when the key is
 * new and the map already holds max_used keys (nothing changed). */
bool clean_map_put(clean_map_t *m, const void *key, size_t len, int64_t offset);
/* The latest offset put for key, or -1. */
int64_t clean_map_get(const clean_map_t *m, const void *key, size_t len);

/* ---- cleaner job (cleaner.c, cleaner_swap.c) ---- */

/* One cleanable segment as prepare saw it. */
typedef struct job_seg {
    int64_t base;
    int64_t size;        /* at prepare */
    int64_t next_offset; /* at prepare */
    bool was_clean;      /* wholly below the checkpoint: cleaned before */
    int64_t cleaned_at;  /* when first cleaned (its mtime), or now */
    bool drop_tombstones;
    bool changed;        /* build removed records from it */
} job_seg_t;

/* Consecutive segments job->segs[first, first + n) rewritten into one
 * file, <segs[first].base>.log.cleaned. */
typedef struct job_group {
    size_t first, n;
    bool built;          /* the .cleaned file is whole and fsynced */
    int64_t stamp;       /* mtime given to it: the latest cleaned_at */
} job_group_t;

struct sl_log_clean_job {
    char *dir;
    int64_t now_ms;
    int64_t cp;          /* checkpoint at prepare */
    int64_t end_off;     /* cleaned up to here (build may lower it) */
    int64_t dedupe_bytes;
    int64_t segment_bytes;
    int32_t index_interval, max_index_bytes;
    job_seg_t *segs;
    size_t nsegs;        /* cleanable at prepare */
    size_t nrewrite;     /* segments below end_off, read and rewritten */
    job_group_t *groups;
    size_t ngroups;
    clean_map_t map;
    sl_map_t pids;       /* producer id -> base offset of its last batch */
    sl_log_txn_aborted_t *aborted; /* copy of the log's aborted transactions */
    size_t naborted;
    int64_t removed;
    char errmsg[320];
};

void job_path(const sl_log_clean_job_t *job, int64_t base, const char *ext, char *buf, size_t n);
void ms_to_timespec(int64_t ms, struct timespec ts[2]);

/* Test hook: when set, install calls it at each step of a group's swap
 * ("swap", "replaced", "renamed") and, when it returns true, stops there
 * as a crash would (SL_ERR_IO, files left as they are). */
extern bool (*log_clean_crash_hook)(const char *step);

/* Puts every built group of job in place (see log.h) and stamps segments
 * cleaned for the first time; fills info's segment counts. */
sl_err_t clean_install_groups(sl_log_t *log, sl_log_clean_job_t *job, sl_log_clean_info_t *info);

/* At open, before segments are listed: a group swap cut short by a crash
 * is undone when its .swap file is still there (the old segments, renamed
 * <base>.log.replaced, get their names back, then the .swap goes), and
 * finished otherwise (the .replaced files go). SL_OK or SL_ERR_IO. */
sl_err_t clean_recover_swaps(sl_log_t *log);

#endif /* SL_BROKER_LOG_INT_H */
