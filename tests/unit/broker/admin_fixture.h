/*
 * admin_fixture.h - a broker opened on a temporary directory for the admin
 * API tests (no sockets, no threads): the handlers' builders are called with
 * request structs made here, and their responses are checked, then encoded
 * in the request's version to prove the encoder accepts them.
 */
#ifndef SL_TEST_ADMIN_FIXTURE_H
#define SL_TEST_ADMIN_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "admin_int.h"

#define FX_NODE_ID 1

typedef struct fx {
    char dir[256];              /* the broker's only log dir */
    const char *extra[8];       /* server overrides besides log.dirs/node.id */
    int nextra;
    sl_broker_config_t cfg;
    sl_broker_t *broker;
    sl_arena_t arena;           /* requests and responses of one test */
} fx_t;

/* cmocka setup/teardown: a broker with default settings (node.id 1). */
int fx_setup(void **state);
int fx_teardown(void **state);
/* The same with server overrides ("KEY=VALUE", static strings, at most 8). */
fx_t *fx_open(const char *const *extra, int n);
void fx_close(fx_t *fx);
/* Closes and reopens the broker on the same directory (persistence). */
void fx_reopen(fx_t *fx);

/* An arena array of n zeroed elements of size sz (fails the test on no
 * memory). */
void *fx_calloc(fx_t *fx, size_t n, size_t sz);
/* Creates a topic through the registry (fails the test otherwise). kv:
 * nkv/2 key, value pairs of overrides. */
void fx_topic(fx_t *fx, const char *name, int32_t partitions, const char *const *kv, int nkv);
/* Appends one batch of n records to a partition's log (under its mutex). */
void fx_append(fx_t *fx, const char *topic, int32_t partition, int n);
/* The override value of key on topic, copied into the arena; NULL when the
 * topic has no such override. */
const char *fx_override(fx_t *fx, const char *topic, const char *key);
/* Encodes resp as the response of api_key at version (the encoder must
 * accept it). */
void fx_encodes(int16_t api_key, int16_t version, const void *resp);
/* true when s (a response string) equals c. */
bool fx_str_eq(sl_kstr_t s, const char *c);
/* true when s contains the C string c. */
bool fx_str_has(sl_kstr_t s, const char *c);

#endif /* SL_TEST_ADMIN_FIXTURE_H */
