/*
 * join_util.h - what the join tests share: a test driver over a topology,
 * string records piped in, output topics compared with expected records
 * written as text, and a joiner showing both sides.
 */
#ifndef JOIN_UTIL_H
#define JOIN_UTIL_H

#include "streams.h"

/* A test driver and its topology (which must outlive it). */
typedef struct ju {
    sl_topology_t *t;
    sl_driver_t *d;
} ju_t;

/* Builds the topology fn describes and a test driver for it (asserts). */
ju_t ju_new(void (*fn)(sl_builder_t *));
void ju_free(ju_t *j);
/* Pipes key/value (NULL: null) as strings into topic at ts (asserts). */
void ju_pipe(sl_driver_t *d, const char *topic, const char *key, const char *value, int64_t ts);
/* Asserts that topic holds exactly the records want[0..] (NULL-ended), in
 * order, each "key:value@ts" (a null key or value as "~"), read as strings;
 * the topic is empty afterwards. */
void ju_expect(sl_driver_t *d, const char *topic, const char *const *want);
#define JU_EXPECT(d, topic, ...) ju_expect((d), (topic), (const char *const[]){__VA_ARGS__, NULL})
#define JU_NONE(d, topic) ju_expect((d), (topic), (const char *const[]){NULL})
/* A joiner making "left+right" ("null" for a missing side). */
sl_val_t ju_joiner(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *left, const sl_val_t *right, void *arg);

#endif /* JOIN_UTIL_H */
