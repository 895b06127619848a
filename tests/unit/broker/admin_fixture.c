/*
 * admin_fixture.c - the admin tests' broker on a temporary directory, and
 * small helpers to make requests and check responses (admin_fixture.h).
 */
#include "admin_fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "records.h"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void fx_start(fx_t *fx)
{
    char dirs[300], node[32], err[512] = "";
    snprintf(dirs, sizeof dirs, "log.dirs=%s", fx->dir);
    snprintf(node, sizeof node, "node.id=%d", FX_NODE_ID);
    const char *ov[12] = {dirs, node, "listeners=PLAINTEXT://127.0.0.1:9092"};
    int n = 3;
    for (int i = 0; i < fx->nextra; i++)
        ov[n++] = fx->extra[i];
    if (sl_broker_config_load(NULL, ov, n, &fx->cfg, err, sizeof err) != SL_OK)
        fail_msg("config: %s", err);
    if (sl_broker_open(&fx->cfg, &fx->broker, err, sizeof err) != SL_OK)
        fail_msg("broker open: %s", err);
}

fx_t *fx_open(const char *const *extra, int n)
{
    fx_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/sl-admin-test-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    assert_true(n <= 8);
    for (int i = 0; i < n; i++)
        fx->extra[i] = extra[i];
    fx->nextra = n;
    sl_arena_init(&fx->arena, 0, 0);
    sl_log_set_level(SL_LOG_WARN);
    fx_start(fx);
    return fx;
}

void fx_close(fx_t *fx)
{
    if (!fx)
        return;
    assert_int_equal(sl_broker_close(fx->broker), SL_OK);
    sl_broker_config_free(&fx->cfg);
    sl_arena_fini(&fx->arena);
    nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
}

void fx_reopen(fx_t *fx)
{
    assert_int_equal(sl_broker_close(fx->broker), SL_OK);
    fx->broker = NULL;
    sl_broker_config_free(&fx->cfg);
    fx_start(fx);
}

int fx_setup(void **state)
{
    *state = fx_open(NULL, 0);
    return 0;
}

int fx_teardown(void **state)
{
    fx_close(*state);
    return 0;
}

void *fx_calloc(fx_t *fx, size_t n, size_t sz)
{
    void *p = sl_arena_calloc(&fx->arena, n ? n : 1, sz);
    assert_non_null(p);
    return p;
}

void fx_topic(fx_t *fx, const char *name, int32_t partitions, const char *const *kv, int nkv)
{
    sl_props_t *ov = sl_props_new();
    assert_non_null(ov);
    for (int i = 0; i + 1 < nkv; i += 2)
        assert_int_equal(sl_props_set(ov, kv[i], kv[i + 1], 0), SL_OK);
    char err[512] = "";
    sl_err_t e = sl_broker_topic_create(fx->broker, name, strlen(name), partitions, ov, false, NULL, err, sizeof err);
    sl_props_free(ov);
    if (e)
        fail_msg("create %s: %s (%s)", name, sl_err_name(e), err);
}

void fx_append(fx_t *fx, const char *topic, int32_t partition, int n)
{
    sl_buf_t buf = SL_BUF_INIT;
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &buf, &opts), SL_OK);
    for (int i = 0; i < n; i++) {
        char v[32];
        int len = snprintf(v, sizeof v, "value-%d", i);
        assert_int_equal(sl_batch_builder_add(&b, 1700000000000LL + i, NULL, -1, v, len, NULL, 0), SL_OK);
    }
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    sl_partition_t *part = NULL;
    assert_int_equal(sl_broker_partition_get(fx->broker, topic, strlen(topic), partition, &part), SL_OK);
    sl_partition_lock(part);
    assert_non_null(part->log);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(part->log, buf.data, buf.len, SL_ADMIN_LEADER_EPOCH, 1700000000000LL, &info),
                     SL_OK);
    sl_partition_unlock(part);
    sl_partition_unref(part);
    sl_buf_free(&buf);
}

const char *fx_override(fx_t *fx, const char *topic, const char *key)
{
    sl_topic_t *t = sl_broker_topic_get(fx->broker, topic, strlen(topic));
    assert_non_null(t);
    sl_props_t *ov = sl_topic_overrides_dup(fx->broker, t);
    sl_topic_unref(t);
    assert_non_null(ov);
    const char *v = sl_props_get(ov, key);
    char *copy = v ? sl_arena_strndup(&fx->arena, v, strlen(v)) : NULL;
    sl_props_free(ov);
    return copy;
}

void fx_encodes(int16_t api_key, int16_t version, const void *resp)
{
    sl_buf_t buf = SL_BUF_INIT;
    sl_err_t e = sl_response_encode(&buf, api_key, version, 7, resp);
    if (e)
        fail_msg("encode api %d v%d: %s", api_key, version, sl_err_name(e));
    sl_buf_free(&buf);
}

bool fx_str_eq(sl_kstr_t s, const char *c)
{
    return sl_kstr_eq(s, c);
}

bool fx_str_has(sl_kstr_t s, const char *c)
{
    if (s.len < 0)
        return false;
    size_t n = strlen(c);
    for (int32_t i = 0; (size_t)i + n <= (size_t)s.len; i++)
        if (memcmp(s.ptr + i, c, n) == 0)
            return true;
    return false;
}
