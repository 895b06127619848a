/*
 * join_util.c - the join tests' shared helpers (join_util.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "join_util.h"

ju_t ju_new(void (*fn)(sl_builder_t *))
{
    ju_t j = {NULL, NULL};
    char err[512] = "";

    if (sl_topology_from(fn, &j.t, err, sizeof(err)) != SL_OK)
        fail_msg("topology: %s", err);
    if (sl_driver_new(j.t, NULL, 0, &j.d, err, sizeof(err)) != SL_OK)
        fail_msg("driver: %s", err);
    return j;
}

void ju_free(ju_t *j)
{
    sl_driver_free(j->d);
    sl_topology_free(j->t);
    j->d = NULL;
    j->t = NULL;
}

void ju_pipe(sl_driver_t *d, const char *topic, const char *key, const char *value, int64_t ts)
{
    sl_val_t k = key ? sl_val_str_ref(key, strlen(key)) : sl_val_null();
    sl_val_t v = value ? sl_val_str_ref(value, strlen(value)) : sl_val_null();
    sl_err_t err = sl_driver_pipe(d, topic, &k, &v, ts, SL_STRING, SL_STRING);

    if (err != SL_OK)
        fail_msg("pipe %s %s:%s@%lld: %s", topic, key ? key : "~", value ? value : "~", (long long)ts,
                 sl_err_name(err));
}

static const char *ju_text(const sl_val_t *v, char *buf, size_t len)
{
    return v->type == SL_V_NULL ? "~" : sl_val_format(v, buf, len);
}

void ju_expect(sl_driver_t *d, const char *topic, const char *const *want)
{
    sl_out_record_t r;
    char got[512], kb[200], vb[200];
    size_t i;

    for (i = 0; want[i]; i++) {
        sl_err_t err = sl_driver_read(d, topic, SL_STRING, SL_STRING, &r);
        if (err != SL_OK)
            fail_msg("%s: record %zu: wanted %s, got none (%s)", topic, i, want[i], sl_err_name(err));
        snprintf(got, sizeof(got), "%s:%s@%lld", ju_text(&r.key, kb, sizeof(kb)), ju_text(&r.value, vb, sizeof(vb)),
                 (long long)r.timestamp);
        if (strcmp(got, want[i]) != 0)
            fail_msg("%s: record %zu: wanted %s, got %s", topic, i, want[i], got);
    }
    if (sl_driver_queue_size(d, topic) != 0) {
        if (sl_driver_read(d, topic, SL_STRING, SL_STRING, &r) == SL_OK)
            fail_msg("%s: after %zu records, an unexpected %s:%s@%lld", topic, i, ju_text(&r.key, kb, sizeof(kb)),
                     ju_text(&r.value, vb, sizeof(vb)), (long long)r.timestamp);
        fail_msg("%s: unexpected records after %zu", topic, i);
    }
}

sl_val_t ju_joiner(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *left, const sl_val_t *right, void *arg)
{
    char lb[200], rb[200];

    (void)key;
    (void)arg;
    return sl_val_printf(ctx, "%s+%s", sl_val_format(left, lb, sizeof(lb)), sl_val_format(right, rb, sizeof(rb)));
}
