/*
 * datagen_int.h - what the files of DatagenSource share: the record shapes
 * (a Connect struct schema described by a static table), the schemas and
 * field names built once per poll in the batch's memory, and the
 * generators of the quickstarts. A record is a pure function of the
 * quickstart, the seed and its index, so any record can be made again
 * without the ones before it (a restart resumes, tasks split by index).
 */
#ifndef SL_CONNECT_DATAGEN_INT_H
#define SL_CONNECT_DATAGEN_INT_H

#include <stdint.h>

#include "connector.h"

/* The worker's table (set by the entry point, datagen.c). */
extern const sl_connect_host_t *dg_host;

/* The quickstarts (what `quickstart` names). */
typedef enum dg_quickstart {
    DG_Q_USERS,
    DG_Q_PAGEVIEWS,
    DG_Q_ORDERS,
    DG_Q_NEXMARK,          /* person, auction and bid in Nexmark's proportions */
    DG_Q_NX_PERSON,
    DG_Q_NX_AUCTION,
    DG_Q_NX_BID,
    DG_Q_COUNT,
} dg_quickstart_t;

/* The quickstart called name, or -1. */
int dg_quickstart_parse(const char *name);
/* Its name (for messages and the source partition). */
const char *dg_quickstart_name(int q);

/* The record shapes: one Connect struct schema each. */
enum {
    DG_S_USERS,
    DG_S_PAGEVIEWS,
    DG_S_ORDERS,
    DG_S_ADDRESS,
    DG_S_PERSON,
    DG_S_AUCTION,
    DG_S_BID,
    DG_S_COUNT,
};
#define DG_MAX_FIELDS 10

typedef struct dg_field {
    const char *name;
    sl_ctype_t type;
    int sub;               /* SL_CT_STRUCT: its shape (DG_S_*) */
} dg_field_t;

typedef struct dg_shape {
    const char *name;      /* the schema's name */
    const dg_field_t *fields;
    size_t count;
} dg_shape_t;

extern const dg_shape_t dg_shapes[DG_S_COUNT];

/* The one shape quickstart q's values have, or -1 (nexmark: three). */
int dg_quickstart_shape(int q);

/* Schemas and field-name values built in one poll's memory on first use;
 * dg_cache_reset forgets them when the next poll starts (the host resets
 * that memory between polls). */
typedef struct dg_cache {
    sl_connect_mem_t *mem;
    sl_cschema_t *schema[DG_S_COUNT];
    sl_cvalue_t *names[DG_S_COUNT][DG_MAX_FIELDS];
    sl_cschema_t *key_schema;          /* a STRING */
} dg_cache_t;

void dg_cache_reset(dg_cache_t *c, sl_connect_mem_t *mem);
/* The struct schema of shape, or NULL when out of memory. */
const sl_cschema_t *dg_schema(dg_cache_t *c, int shape);
/* A struct of shape holding vals[0..count) in field order (taken as they
 * are: values of c->mem), or NULL when out of memory. */
sl_cvalue_t *dg_struct(dg_cache_t *c, int shape, const sl_cvalue_t *const *vals);
/* A STRING value in c->mem with the text of v, a primitive (a string as
 * it is, a number in decimal), or NULL when out of memory. */
sl_cvalue_t *dg_text(dg_cache_t *c, const sl_cvalue_t *v);

/* One generated record. */
typedef struct dg_rec {
    const char *topic;     /* static: the Nexmark topic; NULL: kafka.topic */
    int shape;             /* the value's shape */
    sl_cvalue_t *key;      /* a STRING, or NULL (Nexmark's bids) */
    sl_cvalue_t *value;
} dg_rec_t;

/* A 64-bit hash of seed and index (splitmix64's finaliser): the seed of
 * record index's own random numbers. */
uint64_t dg_mix(uint64_t seed, uint64_t index);

/* Record number index (0-based, counted over every task) of quickstart q
 * with seed, built in c->mem: the same arguments give the same record.
 * SL_CONNECT_ENOMEM; SL_CONNECT_EIO when the Nexmark generator wrote
 * something its parser did not expect (a bug, said with set_error). */
int dg_generate(sl_connect_ctx_t *ctx, dg_cache_t *c, int q, uint64_t seed, uint64_t index,
                dg_rec_t *out);
/* The Nexmark part of dg_generate (datagen_nexmark.c). */
int dg_nexmark(sl_connect_ctx_t *ctx, dg_cache_t *c, int q, uint64_t seed, uint64_t index,
               dg_rec_t *out);

#endif
