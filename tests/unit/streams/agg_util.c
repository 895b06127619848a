/*
 * agg_util.c - the aggregate tests' shared helpers (agg_util.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg_util.h"

au_t au_new(void (*fn)(sl_builder_t *), const char *props)
{
    au_t a = {NULL, NULL};
    char err[512] = "";

    if (sl_topology_from(fn, &a.t, err, sizeof(err)) != SL_OK)
        fail_msg("topology: %s", err);
    if (sl_driver_new(a.t, props, 0, &a.d, err, sizeof(err)) != SL_OK)
        fail_msg("driver: %s", err);
    return a;
}

void au_free(au_t *a)
{
    sl_driver_free(a->d);
    sl_topology_free(a->t);
    a->d = NULL;
    a->t = NULL;
}

void au_pipe(au_t *a, const char *topic, const char *key, const char *value, int64_t ts)
{
    sl_val_t k = key ? sl_val_str_ref(key, strlen(key)) : sl_val_null();
    sl_val_t v = value ? sl_val_str_ref(value, strlen(value)) : sl_val_null();
    sl_err_t err = sl_driver_pipe(a->d, topic, &k, &v, ts, SL_STRING, SL_STRING);

    if (err != SL_OK)
        fail_msg("pipe %s %s:%s@%lld: %s", topic, key ? key : "~", value ? value : "~", (long long)ts,
                 sl_err_name(err));
}

static const char *au_text(const sl_val_t *v, char *buf, size_t len)
{
    return v->type == SL_V_NULL ? "~" : sl_val_format(v, buf, len);
}

void au_expect(au_t *a, const char *topic, const sl_serde_t *ks, const sl_serde_t *vs, const char *const *want)
{
    sl_out_record_t r;
    char got[512], kb[200], vb[200];
    size_t i;

    for (i = 0; want[i]; i++) {
        sl_err_t err = sl_driver_read(a->d, topic, ks, vs, &r);

        if (err != SL_OK)
            fail_msg("%s: record %zu: wanted %s, got none (%s)", topic, i, want[i], sl_err_name(err));
        snprintf(got, sizeof(got), "%s:%s@%lld", au_text(&r.key, kb, sizeof(kb)), au_text(&r.value, vb, sizeof(vb)),
                 (long long)r.timestamp);
        if (strcmp(got, want[i]) != 0)
            fail_msg("%s: record %zu: wanted %s, got %s", topic, i, want[i], got);
    }
    if (sl_driver_queue_size(a->d, topic) != 0) {
        if (sl_driver_read(a->d, topic, ks, vs, &r) == SL_OK)
            fail_msg("%s: an extra record %s:%s@%lld", topic, au_text(&r.key, kb, sizeof(kb)),
                     au_text(&r.value, vb, sizeof(vb)), (long long)r.timestamp);
        fail_msg("%s: extra records", topic);
    }
}

void au_kv(au_t *a, const char *store, const char *key, const char *want)
{
    sl_store_t *st = sl_driver_store(a->d, store);
    sl_val_t k = sl_val_str_ref(key, strlen(key)), v;
    char buf[200];
    sl_err_t err;

    if (st == NULL)
        fail_msg("no store %s", store);
    err = sl_kv_get(st, &k, &v);
    if (err == SL_ERR_NOENT) {
        assert_string_equal("~", want);
        return;
    }
    assert_int_equal(err, SL_OK);
    assert_string_equal(au_text(&v, buf, sizeof(buf)), want);
}

static int64_t au_num(const sl_val_t *v)
{
    if (v->type == SL_V_I64)
        return v->u.i64;
    if (v->type == SL_V_STRING)
        return strtoll((const char *)v->u.bytes.ptr, NULL, 10);
    return 0;
}

sl_val_t au_zero(sl_ctx_t *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return sl_val_i64(0);
}

sl_val_t au_sum(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return sl_val_i64(au_num(agg) + au_num(value));
}

sl_val_t au_unsum(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return sl_val_i64(au_num(agg) - au_num(value));
}

sl_val_t au_merge_sum(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *a, const sl_val_t *b, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return sl_val_i64(au_num(a) + au_num(b));
}

sl_val_t au_concat(sl_ctx_t *ctx, const sl_val_t *agg, const sl_val_t *value, void *arg)
{
    (void)arg;
    return sl_val_printf(ctx, "%.*s+%.*s", (int)agg->u.bytes.len, (const char *)agg->u.bytes.ptr,
                         (int)value->u.bytes.len, (const char *)value->u.bytes.ptr);
}
