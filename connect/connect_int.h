/*
 * connect_int.h - the internal contracts of libsluice-connect: the value
 * memory, the value and schema constructors the host table exposes, the
 * contexts plugins are called with, and the offsets store. Everything here
 * is called by the library's own files only.
 */
#ifndef SL_CONNECT_INT_H
#define SL_CONNECT_INT_H

#include <pthread.h>

#include "connect.h"

/* Memory values and schemas live in: an arena (see sl_connect_mem_new). */
struct sl_connect_mem {
    sl_arena_t arena;
};

/* ---- value.c: malloc'ed arrays ------------------------------------------
 * Room for one more item in arr, a malloc'ed array (or NULL) of count items
 * of size bytes each with room for *cap: arr itself when count < *cap, else
 * arr realloc'ed to twice *cap (first items when *cap is 0) and *cap raised.
 * NULL when out of memory or the size would overflow: arr is then untouched
 * and still the caller's. The caller stores the answer back and frees it. */
void *sl_connect_array_grow(void *arr, size_t count, size_t *cap, size_t size, size_t first);

/* ---- value.c: constructors (NULL only when out of memory) ---------------
 * The host table points at these; the converters use them too. */
sl_cvalue_t *sl_connect_val_null(sl_connect_mem_t *mem);
sl_cvalue_t *sl_connect_val_bool(sl_connect_mem_t *mem, int b);
sl_cvalue_t *sl_connect_val_int(sl_connect_mem_t *mem, sl_ctype_t type, int64_t i);
sl_cvalue_t *sl_connect_val_float(sl_connect_mem_t *mem, sl_ctype_t type, double f);
sl_cvalue_t *sl_connect_val_string(sl_connect_mem_t *mem, const char *s, size_t len);
sl_cvalue_t *sl_connect_val_bytes(sl_connect_mem_t *mem, const void *p, size_t len);
sl_cvalue_t *sl_connect_val_new(sl_connect_mem_t *mem, sl_ctype_t type);
int sl_connect_val_put(sl_connect_mem_t *mem, sl_cvalue_t *coll, const sl_cvalue_t *key,
                       const sl_cvalue_t *item);
const sl_cvalue_t *sl_connect_struct_get(const sl_cvalue_t *st, const char *name);
sl_cschema_t *sl_connect_schema_new(sl_connect_mem_t *mem, sl_ctype_t type, int optional,
                                    const char *name);
int sl_connect_schema_add_field(sl_connect_mem_t *mem, sl_cschema_t *st, const char *name,
                                const sl_cschema_t *field);
int sl_connect_schema_set_items(sl_cschema_t *coll, const sl_cschema_t *keys,
                                const sl_cschema_t *items);
/* The Kafka Connect type name ("int32", "struct", ...) of type, and back
 * (-1: unknown name). */
const char *sl_connect_type_name(sl_ctype_t type);
int sl_connect_type_parse(const char *name);

/* ---- offsets.c: the standalone offsets file ------------------------------
 * A JSON object {"<connector>": {"<source partition>": "<source offset>"}}
 * rewritten whole (temp file, fsync, rename) by save. Thread-safe: a mutex
 * guards the map; tasks set and get, the worker saves. */
typedef struct sl_connect_offsets sl_connect_offsets_t;
/* Reads file when it exists (a missing file is an empty store).
 * SL_ERR_CONFIG for an unreadable or malformed file (errbuf says where). */
sl_err_t sl_connect_offsets_open(const char *file, sl_connect_offsets_t **out, char *errbuf,
                                 size_t errlen);
/* The stored offset, copied into a malloc'ed string the caller frees, or
 * NULL when none (or out of memory). */
char *sl_connect_offsets_get(sl_connect_offsets_t *os, const char *connector,
                             const char *partition);
sl_err_t sl_connect_offsets_set(sl_connect_offsets_t *os, const char *connector,
                                const char *partition, const char *offset);
/* Writes the file when something changed since the last save. SL_ERR_IO. */
sl_err_t sl_connect_offsets_save(sl_connect_offsets_t *os);
void sl_connect_offsets_free(sl_connect_offsets_t *os);

/* ---- worker.c / host.c: what plugins are called with ---------------------- */

/* One per connector or task: its name, its config and its last error. */
struct sl_connect_ctx {
    char *name;                   /* "file-source" or "file-source-0" */
    char *connector;              /* the connector's name (offsets key) */
    sl_props_t *config;           /* resolved config, owned */
    sl_connect_offsets_t *offsets;/* borrowed from the worker; NULL: none */
    char *offset_last;            /* offset_get's answer, owned */
    char err[512];                /* set_error's sentence */
};

/* task_configs() output: up to max task configs. */
struct sl_connect_taskcfgs {
    sl_props_t **cfgs;
    int count;
    int max;
};

/* One source poll: records copied into mem. */
struct sl_connect_batch {
    sl_connect_mem_t *mem;        /* owned */
    sl_connect_record_t *recs;    /* malloc'ed array; strings in mem */
    size_t count, cap;
};

/* A ctx for name/connector with config (taken) and offsets (borrowed).
 * NULL when out of memory (config is freed then). */
sl_connect_ctx_t *sl_connect_ctx_new(const char *name, const char *connector, sl_props_t *config,
                                     sl_connect_offsets_t *offsets);
void sl_connect_ctx_free(sl_connect_ctx_t *ctx);

#endif /* SL_CONNECT_INT_H */
