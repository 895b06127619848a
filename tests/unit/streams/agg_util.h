/*
 * agg_util.h - what the aggregate part's tests share: a test driver over a
 * topology, string records piped in, output topics compared with expected
 * records written as text ("key:value@ts"; windowed keys "[key@start/end]",
 * null "~"), and small aggregation functions.
 */
#ifndef AGG_UTIL_H
#define AGG_UTIL_H

#include "streams.h"

typedef struct au {
    sl_topology_t *t;
    sl_driver_t *d;
} au_t;

/* Builds the topology fn describes and a driver for it with props (NULL:
 * defaults); asserts. */
au_t au_new(void (*fn)(sl_builder_t *), const char *props);
void au_free(au_t *a);
/* Pipes key/value (NULL: null) as strings into topic at ts (asserts). */
void au_pipe(au_t *a, const char *topic, const char *key, const char *value, int64_t ts);
/* Asserts topic holds exactly want[0..] (NULL-ended) in order, read with
 * ks/vs; the topic is empty afterwards. */
void au_expect(au_t *a, const char *topic, const sl_serde_t *ks, const sl_serde_t *vs, const char *const *want);
#define AU_EXPECT(a, topic, ks, vs, ...) au_expect((a), (topic), (ks), (vs), (const char *const[]){__VA_ARGS__, NULL})
#define AU_NONE(a, topic) au_expect((a), (topic), SL_BYTES, SL_BYTES, (const char *const[]){NULL})
/* Asserts store (kv) holds key (a string) with the value shown as want
 * ("~": absent). */
void au_kv(au_t *a, const char *store, const char *key, const char *want);

/* Aggregation functions over string values holding decimal numbers. */
sl_val_t au_zero(sl_ctx_t *ctx, void *arg);                          /* i64 0 */
sl_val_t au_sum(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg, void *arg);
sl_val_t au_unsum(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg, void *arg);
sl_val_t au_merge_sum(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *a, const sl_val_t *b, void *arg);
/* Reducer: "agg+value" (strings). */
sl_val_t au_concat(sl_ctx_t *ctx, const sl_val_t *agg, const sl_val_t *value, void *arg);

#endif /* AGG_UTIL_H */
