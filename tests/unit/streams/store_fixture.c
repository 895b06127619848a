/*
 * store_fixture.c - see store_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_fixture.h"

static sl_err_t sf_send(void *arg, const char *topic, int32_t partition, const void *key, int32_t klen,
                        const void *value, int32_t vlen, int64_t timestamp, const sl_header_t *headers,
                        size_t n_headers)
{
    sf_t *f = arg;
    assert_null(headers);
    assert_int_equal(n_headers, 0);
    assert_true(f->n_recs < SF_MAX_RECS);
    sf_rec_t *r = &f->recs[f->n_recs++];
    assert_true(klen >= 0 && (size_t)klen <= sizeof(r->key));
    assert_true(vlen <= (int32_t)sizeof(r->val));
    memcpy(r->key, key, (size_t)klen);
    r->klen = klen;
    r->vlen = value ? vlen : -1;
    if (value)
        memcpy(r->val, value, (size_t)vlen);
    r->ts = timestamp;
    r->partition = partition;
    snprintf(r->topic, sizeof(r->topic), "%s", topic);
    return SL_OK;
}

static int32_t sf_partitions(void *arg, const char *topic)
{
    SL_UNUSED(arg);
    SL_UNUSED(topic);
    return -1;
}

sf_t *sf_new(void)
{
    sf_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/sl-store-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->coll.send = sf_send;
    f->coll.partitions = sf_partitions;
    f->coll.arg = f;
    assert_int_equal(sl_state_open(f->dir, &f->st), SL_OK);
    return f;
}

void sf_free(sf_t *f)
{
    sl_state_close(f->st);
    assert_int_equal(sl_state_wipe(f->dir), SL_OK);
    assert_int_not_equal(access(f->dir, F_OK), 0);
    free(f);
}

void sf_reopen(sf_t *f)
{
    assert_int_equal(sl_state_commit(f->st), SL_OK);
    sl_state_close(f->st);
    f->st = NULL;
    assert_int_equal(sl_state_open(f->dir, &f->st), SL_OK);
}

sl_store_t *sf_store(sf_t *f, const char *name, sl_store_kind_t kind, bool logged, int64_t cache_bytes,
                     int64_t retention_ms, bool dups)
{
    static char topic[64];
    snprintf(topic, sizeof(topic), "%s-changelog", name);
    sl_store_def_t def = {.name = name, .kind = kind, .logging = logged, .caching = cache_bytes > 0,
                          .retention_ms = retention_ms, .retain_duplicates = dups};
    sl_store_env_t env = {.changelog = logged ? topic : NULL, .partition = 3, .collector = &f->coll,
                          .cache_bytes = cache_bytes};
    sl_store_t *s = NULL;
    assert_int_equal(sl_store_open(f->st, &def, &env, &s), SL_OK);
    return s;
}

sl_err_t sf_put(sl_store_t *s, const char *k, const char *v)
{
    return sl_kvs_put(s, (const uint8_t *)k, strlen(k), (const uint8_t *)v, v ? (int32_t)strlen(v) : -1, 7);
}

const char *sf_get(sl_store_t *s, const char *k)
{
    static char out[256];
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    const uint8_t *v;
    size_t n;
    sl_err_t err = sl_kvs_get(s, (const uint8_t *)k, strlen(k), &a, &v, &n);
    const char *res = NULL;
    if (err == SL_OK) {
        assert_true(n < sizeof(out));
        memcpy(out, v, n);
        out[n] = '\0';
        res = out;
    } else {
        assert_int_equal(err, SL_ERR_NOENT);
    }
    sl_arena_fini(&a);
    return res;
}

typedef struct sf_text {
    char buf[2048];
    size_t n;
    int left;                      /* entries still wanted; <= 0: all */
} sf_text_t;

static sf_text_t g_text;

static sf_text_t *text_start(int stop_after)
{
    memset(&g_text, 0, sizeof(g_text));
    g_text.left = stop_after;
    return &g_text;
}

static bool text_add(sf_text_t *t, const char *fmt, ...) SL_PRINTF(2, 3);
static bool text_add(sf_text_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->n, sizeof(t->buf) - t->n, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(t->buf) - t->n);
    t->n += (size_t)n;
    return t->left <= 0 || --t->left > 0;
}

static bool text_kv(void *arg, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
    return text_add(arg, "%.*s=%.*s;", (int)klen, (const char *)k, (int)vlen, (const char *)v);
}

static bool text_win(void *arg, const uint8_t *k, size_t klen, int64_t start, const uint8_t *v, size_t vlen)
{
    return text_add(arg, "%.*s@%lld=%.*s;", (int)klen, (const char *)k, (long long)start, (int)vlen,
                    (const char *)v);
}

static bool text_ses(void *arg, const uint8_t *k, size_t klen, int64_t start, int64_t end, const uint8_t *v,
                     size_t vlen)
{
    return text_add(arg, "%.*s[%lld,%lld]=%.*s;", (int)klen, (const char *)k, (long long)start, (long long)end,
                    (int)vlen, (const char *)v);
}

static size_t len_of(const char *s)
{
    return s ? strlen(s) : 0;
}

const char *sf_range(sl_store_t *s, const char *from, const char *to, int stop_after)
{
    sf_text_t *t = text_start(stop_after);
    assert_int_equal(sl_kvs_range(s, (const uint8_t *)from, len_of(from), (const uint8_t *)to, len_of(to), text_kv, t),
                     SL_OK);
    return t->buf;
}

const char *sf_fetch(sl_store_t *s, const char *k, int64_t from, int64_t to)
{
    sf_text_t *t = text_start(0);
    assert_int_equal(sl_wins_fetch(s, (const uint8_t *)k, strlen(k), from, to, text_win, t), SL_OK);
    return t->buf;
}

const char *sf_fetch_range(sl_store_t *s, const char *kf, const char *kt, int64_t from, int64_t to)
{
    sf_text_t *t = text_start(0);
    assert_int_equal(sl_wins_fetch_range(s, (const uint8_t *)kf, len_of(kf), (const uint8_t *)kt, len_of(kt), from,
                                         to, text_win, t),
                     SL_OK);
    return t->buf;
}

const char *sf_find(sl_store_t *s, const char *k, int64_t earliest_end, int64_t latest_start)
{
    sf_text_t *t = text_start(0);
    assert_int_equal(sl_sess_find(s, (const uint8_t *)k, strlen(k), earliest_end, latest_start, text_ses, t), SL_OK);
    return t->buf;
}
