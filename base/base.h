/*
 * base.h - the manual of libsluice-base: what every other Sluice library
 * stands on. libc only.
 *
 *   errors    one error type for the whole project (sl_err_t)
 *   arena     bump allocator freed all at once (one per request, per compile)
 *   buf       growable byte buffer for writing; sl_rd_t bounds-checked reader
 *   varint    unsigned and zigzag varints (Kafka / protobuf encoding)
 *   map       hash map keyed by byte strings; intrusive doubly linked list
 *   time      monotonic and wall clocks
 *   log       leveled logging with a replaceable sink
 *   props     Java .properties files
 *   crc32c    CRC-32C (Castagnoli), SSE4.2 when the CPU has it
 *   murmur2   Kafka's murmur2 and the Java client's key partitioner
 *
 * Conventions, everywhere in this header:
 *   - A function that can fail returns sl_err_t; results go to out-parameters.
 *   - "borrows" means the callee keeps no pointer after returning; "keeps"
 *     means it does, and the caller must keep the memory alive; "copies" means
 *     the callee has its own copy.
 *   - Destroy/free functions accept NULL.
 *   - Nothing here is thread-safe unless it says so; objects are owned by one
 *     thread at a time.
 */
#ifndef SL_BASE_H
#define SL_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SL_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#define SL_UNUSED(x) ((void)(x))
#define SL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SL_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SL_LIKELY(x) __builtin_expect(!!(x), 1)
#define SL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The value of one hexadecimal digit (either case), or -1 when c is not one. */
static inline int sl_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ======================================================================
 * Errors
 *
 * 0 is success. Positive values are Kafka's wire error codes, unchanged, so a
 * handler can put them in an ErrorCode field as they are. Kafka's own -1
 * (UNKNOWN_SERVER_ERROR) keeps its value. Sluice's own errors are -100 and
 * below and never go on the wire (sl_err_wire() maps them).
 * The full list, with names and sentences, is in base/err_codes.h.
 * ====================================================================== */
typedef enum sl_err {
#define SL_ERR_DEF(sym, code, sentence) SL_ERR_##sym = code,
#include "err_codes.h"
#undef SL_ERR_DEF
    SL_OK = 0
} sl_err_t;

/* The Kafka-style name of an error: "OFFSET_OUT_OF_RANGE", "NOMEM".
 * Never NULL: unknown codes give "UNKNOWN_CODE". Static storage. */
const char *sl_err_name(sl_err_t err);
/* One sentence saying what the error means. Never NULL. Static storage. */
const char *sl_err_str(sl_err_t err);
/* true for codes Kafka defines (>= -1), false for Sluice's own. */
bool sl_err_is_kafka(sl_err_t err);
/* The code to put on the wire: Kafka codes unchanged; Sluice's own codes as
 * the closest Kafka code (PARSE, TRUNCATED, CRC, COMPRESSION -> CORRUPT_MESSAGE;
 * UNSUPPORTED -> UNSUPPORTED_VERSION; TOO_LARGE -> MESSAGE_TOO_LARGE), else
 * UNKNOWN_SERVER_ERROR (-1). */
int16_t sl_err_wire(sl_err_t err);

/* ======================================================================
 * Arena: bump allocator with a byte limit. Allocations live until
 * sl_arena_reset() or sl_arena_fini(); there is no per-object free.
 * The struct is public so an arena can live on the stack or inside another
 * struct; its fields are private.
 * ====================================================================== */
typedef struct sl_arena_chunk sl_arena_chunk_t;
typedef struct sl_arena {
    sl_arena_chunk_t *head;  /* newest chunk; older ones linked behind it */
    size_t chunk_size;       /* size of ordinary chunks */
    size_t used;             /* bytes handed out since init/reset */
    size_t limit;            /* refuse allocations beyond this total; 0 = none */
} sl_arena_t;

/* Prepares an arena. chunk_size 0 means 4096. limit 0 means unlimited; with a
 * limit, an allocation that would take the total past it returns NULL (use it
 * to bound memory spent on untrusted input). Allocates nothing yet. */
void sl_arena_init(sl_arena_t *arena, size_t chunk_size, size_t limit);
/* Returns n bytes aligned to 16 (max_align_t), or NULL when out of memory or
 * past the limit. n == 0 returns a valid unique pointer. */
void *sl_arena_alloc(sl_arena_t *arena, size_t n);
/* As sl_arena_alloc, zero-filled. */
void *sl_arena_zalloc(sl_arena_t *arena, size_t n);
/* n elements of size sz, zero-filled; NULL also when n * sz overflows. */
void *sl_arena_calloc(sl_arena_t *arena, size_t n, size_t sz);
/* Copies len bytes of s and a terminating NUL into the arena. NULL on failure. */
char *sl_arena_strndup(sl_arena_t *arena, const char *s, size_t len);
/* Copies n bytes. NULL on failure. */
void *sl_arena_memdup(sl_arena_t *arena, const void *p, size_t n);
/* Forgets every allocation; keeps one chunk for reuse. */
void sl_arena_reset(sl_arena_t *arena);
/* Frees everything. The arena may be init'ed again. Accepts NULL. */
void sl_arena_fini(sl_arena_t *arena);
/* Bytes handed out since init/reset, each allocation rounded up to 16 (the
 * figure the limit is checked against). */
size_t sl_arena_used(const sl_arena_t *arena);

/* ======================================================================
 * Byte buffer for writing. Big-endian integers (network order, as Kafka).
 * Errors are sticky: after an allocation failure every further put is a
 * no-op and sl_buf_err() returns SL_ERR_NOMEM, so an encoder can write a whole
 * message and check once at the end.
 * ====================================================================== */
typedef struct sl_buf {
    uint8_t *data;  /* owned, malloc'ed; NULL until the first write */
    size_t len;     /* bytes written */
    size_t cap;     /* bytes allocated */
    sl_err_t err;   /* sticky: SL_OK or SL_ERR_NOMEM */
} sl_buf_t;

#define SL_BUF_INIT {NULL, 0, 0, SL_OK}

void sl_buf_init(sl_buf_t *buf);
/* Frees data and returns to the init state. Accepts NULL. */
void sl_buf_free(sl_buf_t *buf);
/* Empties the buffer (len = 0), keeps the memory and clears the error. */
void sl_buf_reset(sl_buf_t *buf);
/* Makes room for at least extra more bytes. SL_OK or SL_ERR_NOMEM. */
sl_err_t sl_buf_reserve(sl_buf_t *buf, size_t extra);
/* Appends n bytes of p (borrowed). */
void sl_buf_put(sl_buf_t *buf, const void *p, size_t n);
/* Appends n zero bytes and returns a pointer to them (valid until the next
 * put), or NULL after an error. For patching in lengths and CRCs later. */
uint8_t *sl_buf_put_space(sl_buf_t *buf, size_t n);
void sl_buf_put_u8(sl_buf_t *buf, uint8_t v);
void sl_buf_put_i8(sl_buf_t *buf, int8_t v);
void sl_buf_put_i16(sl_buf_t *buf, int16_t v);
void sl_buf_put_u16(sl_buf_t *buf, uint16_t v);
void sl_buf_put_i32(sl_buf_t *buf, int32_t v);
void sl_buf_put_u32(sl_buf_t *buf, uint32_t v);
void sl_buf_put_i64(sl_buf_t *buf, int64_t v);
void sl_buf_put_f64(sl_buf_t *buf, double v);
void sl_buf_put_uvarint(sl_buf_t *buf, uint64_t v);
void sl_buf_put_varint(sl_buf_t *buf, int64_t v); /* zigzag */
/* Overwrites 4 bytes at pos (must be < len - 3) big-endian. */
void sl_buf_set_i32(sl_buf_t *buf, size_t pos, int32_t v);
void sl_buf_set_u32(sl_buf_t *buf, size_t pos, uint32_t v);
/* Drops the first n bytes (n <= len), moving the rest to the front. */
void sl_buf_consume(sl_buf_t *buf, size_t n);
/* Takes ownership of the bytes: returns data (caller frees with free()) and
 * leaves the buffer empty. *len gets the length. NULL if nothing written. */
uint8_t *sl_buf_detach(sl_buf_t *buf, size_t *len);
static inline sl_err_t sl_buf_err(const sl_buf_t *buf) { return buf->err; }

/* ======================================================================
 * Reader over borrowed bytes. Bounds-checked, big-endian. Errors are sticky:
 * a read past the end returns 0 (or NULL), sets err to SL_ERR_TRUNCATED and
 * leaves the position at the end, so a decoder can read a run of fields and
 * check err once (proto/ wraps this in goto err_parse macros).
 * ====================================================================== */
typedef struct sl_rd {
    const uint8_t *p;    /* next byte */
    const uint8_t *end;  /* one past the last byte */
    sl_err_t err;        /* sticky: SL_OK, SL_ERR_TRUNCATED or SL_ERR_PARSE */
} sl_rd_t;

/* Reads n bytes at p (borrowed: they must outlive the reader's use). */
void sl_rd_init(sl_rd_t *rd, const void *p, size_t n);
static inline size_t sl_rd_left(const sl_rd_t *rd) { return (size_t)(rd->end - rd->p); }
static inline bool sl_rd_ok(const sl_rd_t *rd) { return rd->err == SL_OK; }
/* Records a decode error (first one wins) and moves to the end. */
void sl_rd_fail(sl_rd_t *rd, sl_err_t err);
uint8_t sl_rd_u8(sl_rd_t *rd);
int8_t sl_rd_i8(sl_rd_t *rd);
int16_t sl_rd_i16(sl_rd_t *rd);
uint16_t sl_rd_u16(sl_rd_t *rd);
int32_t sl_rd_i32(sl_rd_t *rd);
uint32_t sl_rd_u32(sl_rd_t *rd);
int64_t sl_rd_i64(sl_rd_t *rd);
double sl_rd_f64(sl_rd_t *rd);
/* Unsigned varint of at most 5 bytes (Kafka's unsigned int32 varint). More
 * bytes, or a value above UINT32_MAX: SL_ERR_PARSE. */
uint32_t sl_rd_uvarint(sl_rd_t *rd);
/* Zigzag varint (int32) / varlong (int64); overlong: SL_ERR_PARSE. */
int32_t sl_rd_varint(sl_rd_t *rd);
int64_t sl_rd_varlong(sl_rd_t *rd);
uint64_t sl_rd_uvarlong(sl_rd_t *rd);
/* Returns a pointer to the next n bytes (borrowed from the reader's source)
 * and advances, or NULL with SL_ERR_TRUNCATED when fewer are left. n == 0
 * returns the current position. */
const uint8_t *sl_rd_take(sl_rd_t *rd, size_t n);
void sl_rd_skip(sl_rd_t *rd, size_t n);
/* A sub-reader over the next n bytes; the parent advances past them. On
 * underflow the sub-reader is empty and both carry SL_ERR_TRUNCATED. */
sl_rd_t sl_rd_sub(sl_rd_t *rd, size_t n);

/* ======================================================================
 * Varints (standalone; sl_buf/sl_rd have their own put/get).
 * ====================================================================== */
#define SL_UVARINT_MAX 10 /* bytes a 64-bit varint can take */

static inline uint64_t sl_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t sl_unzigzag64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }
static inline uint32_t sl_zigzag32(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31); }
static inline int32_t sl_unzigzag32(uint32_t v) { return (int32_t)(v >> 1) ^ -(int32_t)(v & 1); }
/* Writes v to out (room for SL_UVARINT_MAX bytes); returns the byte count. */
size_t sl_uvarint_encode(uint8_t *out, uint64_t v);
/* Bytes v takes when encoded (1..10). */
size_t sl_uvarint_size(uint64_t v);
/* Reads one varint from p[0..n); returns bytes consumed, or 0 when truncated
 * or longer than 10 bytes / overflowing 64 bits. */
size_t sl_uvarint_decode(const uint8_t *p, size_t n, uint64_t *out);

/* ======================================================================
 * Hash map: byte-string keys (copied) to void * values (kept, never freed
 * by the map unless fini is given a destructor). Open addressing; pointers to
 * values are stable only between modifications. Not thread-safe.
 * ====================================================================== */
typedef struct sl_map_slot sl_map_slot_t;
typedef struct sl_map {
    sl_map_slot_t *slots;  /* private */
    size_t cap;            /* slots allocated, power of two or 0 */
    size_t count;          /* live entries */
    size_t used;           /* live + deleted markers */
} sl_map_t;

void sl_map_init(sl_map_t *map);
/* Frees the map's memory; calls free_val(value) on each value when given. */
void sl_map_fini(sl_map_t *map, void (*free_val)(void *val));
/* The value under key, or NULL. Borrowed key. */
void *sl_map_get(const sl_map_t *map, const void *key, size_t klen);
/* true when the key is present (values may be NULL). */
bool sl_map_has(const sl_map_t *map, const void *key, size_t klen);
/* Inserts or replaces. Copies the key, keeps val. *old (if old != NULL) gets
 * the replaced value or NULL. SL_OK or SL_ERR_NOMEM (map unchanged). */
sl_err_t sl_map_put(sl_map_t *map, const void *key, size_t klen, void *val, void **old);
/* Removes key; returns true and its value in *val (if val) when present. */
bool sl_map_del(sl_map_t *map, const void *key, size_t klen, void **val);
static inline size_t sl_map_count(const sl_map_t *map) { return map->count; }
/* Iteration: size_t it = 0; while (sl_map_next(map, &it, &k, &kl, &v)) ...
 * Any modification during iteration except sl_map_del of the current key
 * invalidates the iterator. The key pointer is valid until the entry goes. */
bool sl_map_next(const sl_map_t *map, size_t *it, const void **key, size_t *klen, void **val);
/* Every value, in iteration order, in a malloc'ed array (one slot more than
 * needed, so an empty map gives a non-NULL array); *n the count. The caller
 * frees the array (not the values). NULL on no memory. */
void **sl_map_values(const sl_map_t *map, size_t *n);
/* Convenience for NUL-terminated keys. */
static inline void *sl_map_gets(const sl_map_t *m, const char *k) { return sl_map_get(m, k, __builtin_strlen(k)); }
/* 64-bit hash used by the map (FNV-1a style mix); exposed for tests/sharding. */
uint64_t sl_hash_bytes(const void *p, size_t n);

/* Intrusive circular doubly linked list (embed sl_list_t in your struct). */
typedef struct sl_list {
    struct sl_list *prev, *next;
} sl_list_t;
static inline void sl_list_init(sl_list_t *head) { head->prev = head->next = head; }
static inline bool sl_list_empty(const sl_list_t *head) { return head->next == head; }
static inline void sl_list_insert_tail(sl_list_t *head, sl_list_t *n)
{
    n->prev = head->prev; n->next = head; head->prev->next = n; head->prev = n;
}
static inline void sl_list_remove(sl_list_t *n)
{
    n->prev->next = n->next; n->next->prev = n->prev; n->prev = n->next = n;
}
#define sl_container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define sl_list_foreach_safe(pos, tmp, head) \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); (pos) = (tmp), (tmp) = (pos)->next)

/* ======================================================================
 * Time. Thread-safe.
 * ====================================================================== */
/* Monotonic clock (CLOCK_MONOTONIC), for timeouts and durations. */
int64_t sl_time_mono_ns(void);
int64_t sl_time_mono_us(void);
int64_t sl_time_mono_ms(void);
/* Wall clock (CLOCK_REALTIME), milliseconds since the epoch: Kafka timestamps. */
int64_t sl_time_wall_ms(void);

/* ======================================================================
 * Logging. Lines look like
 *   2026-11-24T16:34:00.123Z INFO  [net] listening on 127.0.0.1:9092
 * and go to stderr unless a sink is set. Level and sink are process-wide and
 * set before threads start; writing a line is thread-safe (one write(2) per
 * line with the default sink).
 * ====================================================================== */
typedef enum sl_log_level {
    SL_LOG_DEBUG = 0,
    SL_LOG_INFO = 1,
    SL_LOG_WARN = 2,
    SL_LOG_ERROR = 3,
    SL_LOG_OFF = 4
} sl_log_level_t;

typedef void sl_log_sink_fn(void *ctx, sl_log_level_t level, const char *line, size_t len);

void sl_log_set_level(sl_log_level_t level);
sl_log_level_t sl_log_get_level(void);
/* "debug", "info", "warn"/"warning", "error", "off" (any case) -> level.
 * SL_OK or SL_ERR_INVAL. */
sl_err_t sl_log_parse_level(const char *name, sl_log_level_t *level);
/* Replaces the sink (NULL restores stderr). ctx is kept. line has no newline
 * and is valid only during the call. */
void sl_log_set_sink(sl_log_sink_fn *fn, void *ctx);
/* module: short tag such as "net" (borrowed). Lines longer than 4 KiB are cut. */
void sl_log_write(sl_log_level_t level, const char *module, const char *fmt, ...) SL_PRINTF(3, 4);
void sl_log_vwrite(sl_log_level_t level, const char *module, const char *fmt, va_list ap) SL_PRINTF(3, 0);

#define SL_LOG_AT(lvl, mod, ...) \
    do { if ((lvl) >= sl_log_get_level()) sl_log_write((lvl), (mod), __VA_ARGS__); } while (0)
#define SL_DEBUG(mod, ...) SL_LOG_AT(SL_LOG_DEBUG, mod, __VA_ARGS__)
#define SL_INFO(mod, ...) SL_LOG_AT(SL_LOG_INFO, mod, __VA_ARGS__)
#define SL_WARN(mod, ...) SL_LOG_AT(SL_LOG_WARN, mod, __VA_ARGS__)
#define SL_ERROR(mod, ...) SL_LOG_AT(SL_LOG_ERROR, mod, __VA_ARGS__)

/* ======================================================================
 * Java .properties files (java.util.Properties.load semantics): '#' and '!'
 * comments, '=', ':' or whitespace between key and value, backslash escapes
 * (\t \n \r \f, \uXXXX, any other \c is c), a backslash at line end continues
 * the line (leading whitespace of the next line dropped), keys and values
 * UTF-8 (\u escapes are turned into UTF-8; surrogate pairs are joined).
 * Where Java is lenient we fail with a clear message instead:
 *   malformed \uXXXX, an unpaired surrogate, a NUL byte (raw or \u0000),
 *   invalid UTF-8. A UTF-8 byte order mark at the start is skipped.
 * Input is limited to 16 MiB.
 * A later duplicate key replaces an earlier one (as Java), keeping the line
 * number of the latest.
 * ====================================================================== */
typedef struct sl_props sl_props_t;

/* Parses text[0..len) (borrowed). origin names the source in error messages
 * (a file name, "--override"). On success *out is a new object (free with
 * sl_props_free). On failure *out is NULL, and errbuf (if given) holds
 * "origin:LINE: what was wrong" (LINE is the natural line, 1-based; errors
 * about the whole input, such as its size, are "origin: what was wrong").
 * Returns SL_OK, SL_ERR_CONFIG or SL_ERR_NOMEM. */
sl_err_t sl_props_parse(const char *text, size_t len, const char *origin,
                        sl_props_t **out, char *errbuf, size_t errlen);
/* Reads and parses the file at path. SL_ERR_IO (errbuf says why) when it
 * cannot be read, SL_ERR_CONFIG when it is larger than 16 MiB; otherwise as
 * sl_props_parse with origin = path. */
sl_err_t sl_props_load(const char *path, sl_props_t **out, char *errbuf, size_t errlen);
/* An empty set (for building configs from overrides). NULL on no memory. */
sl_props_t *sl_props_new(void);
/* The value of key, or NULL. Valid until the key is set again or freed. */
const char *sl_props_get(const sl_props_t *props, const char *key);
/* Sets key to value (both copied), replacing any earlier value.
 * line is recorded for messages (0 = not from a file). SL_OK or SL_ERR_NOMEM. */
sl_err_t sl_props_set(sl_props_t *props, const char *key, const char *value, int line);
/* Number of distinct keys, and the i-th in first-seen order (0 <= i < count).
 * Pointers valid until the set changes or is freed. line may be NULL. */
size_t sl_props_count(const sl_props_t *props);
void sl_props_at(const sl_props_t *props, size_t i, const char **key, const char **value, int *line);
/* The origin given at parse/load time (or "" for sl_props_new). */
const char *sl_props_origin(const sl_props_t *props);
void sl_props_free(sl_props_t *props);

/* ======================================================================
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka's record
 * batch v2 uses. crc is the running value: start with 0 and pass the result
 * of the previous call to continue (the pre/post inversion is done inside).
 * Uses SSE4.2 crc32 instructions when the CPU has them (checked once), a
 * slicing-by-8 table otherwise. Thread-safe.
 * ====================================================================== */
uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n);
/* The software path alone (for tests and benchmarks). */
uint32_t sl_crc32c_sw(uint32_t crc, const void *p, size_t n);
/* true when sl_crc32c uses the hardware instruction. */
bool sl_crc32c_hw(void);

/* ======================================================================
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2, seed
 * 0x9747b28c), and the default partitioner for keyed records:
 * toPositive(murmur2(key)) % num_partitions, toPositive(x) = x & 0x7fffffff.
 * ====================================================================== */
int32_t sl_murmur2(const void *key, size_t len);
/* num_partitions must be > 0. */
int32_t sl_murmur2_partition(const void *key, size_t len, int32_t num_partitions);

#ifdef __cplusplus
}
#endif
#endif /* SL_BASE_H */
