/*
 * coord_test.c - coordinator lookup: retried on COORDINATOR_LOAD_IN_PROGRESS
 * and COORDINATOR_NOT_AVAILABLE until found, in v4 (batched form) and v0-3,
 * cached, forgotten on demand, a non-retriable error returned at once, and
 * the deadline kept when the broker never says yes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client_util.h"
#include "fake_broker.h"

typedef struct fc_script {
    pthread_mutex_t mu;
    int fail_first;         /* answer the first n with err */
    int16_t err;
    int seen;
    int16_t last_version;
    int8_t last_type;
    char last_key[64];
    uint16_t port;
    int32_t last_nkeys;
} fc_script_t;

static fc_script_t g_fc = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, -1, -1, "", 0, 0};

static sl_fb_reply_t fc_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    (void)arg;
    sl_fb_reply_t r = {SL_FB_DEFAULT, NULL, 0};
    if (req->api_key != 10)
        return r;
    const sl_FindCoordinatorRequest_t *q = req->body;
    pthread_mutex_lock(&g_fc.mu);
    int n = g_fc.seen++;
    int16_t err = n < g_fc.fail_first ? g_fc.err : 0;
    g_fc.last_version = req->api_version;
    g_fc.last_type = q->KeyType;
    sl_kstr_t key = req->api_version >= 4 && q->CoordinatorKeys.count > 0 ? q->CoordinatorKeys.items[0]
                                                                          : q->Key;
    snprintf(g_fc.last_key, sizeof g_fc.last_key, "%.*s", key.len > 0 ? (int)key.len : 0,
             key.len > 0 ? key.ptr : "");
    uint16_t port = g_fc.port;
    pthread_mutex_unlock(&g_fc.mu);
    sl_FindCoordinatorResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
    sl_FindCoordinatorResponse_init(b);
    if (req->api_version >= 4) {
        int32_t nk = q->CoordinatorKeys.count;
        sl_FindCoordinatorResponse_Coordinator_t *cs = sl_arena_calloc(req->arena, (size_t)nk + 1, sizeof *cs);
        for (int32_t i = 0; i < nk; i++) {
            sl_FindCoordinatorResponse_Coordinator_t *c = &cs[i];
            sl_FindCoordinatorResponse_Coordinator_init(c);
            c->Key = q->CoordinatorKeys.items[i];
            c->ErrorCode = err;
            c->NodeId = err ? -1 : 0;
            c->Host = sl_kstr(err ? "" : "127.0.0.1");
            c->Port = err ? -1 : port;
        }
        pthread_mutex_lock(&g_fc.mu);
        g_fc.last_nkeys = nk;
        pthread_mutex_unlock(&g_fc.mu);
        b->Coordinators.count = nk;
        b->Coordinators.items = cs;
    } else {
        b->ErrorCode = err;
        b->NodeId = err ? -1 : 0;
        b->Host = sl_kstr(err ? "" : "127.0.0.1");
        b->Port = err ? -1 : port;
    }
    r.action = SL_FB_REPLY;
    r.body = b;
    return r;
}

typedef struct lookup {
    int8_t type;
    const char *key;
    int deadline_ms;
    /* results */
    bool done;
    sl_err_t err;
    int32_t node;
    sl_err_t ret;
} lookup_t;

static void lookup_cb(sl_cl_t *cl, sl_err_t err, int32_t node, void *arg)
{
    (void)cl;
    lookup_t *l = arg;
    pthread_mutex_lock(&g_fc.mu);
    l->err = err;
    l->node = node;
    l->done = true;
    pthread_mutex_unlock(&g_fc.mu);
}

static void lookup_start(sl_cl_t *cl, void *arg)
{
    lookup_t *l = arg;
    l->ret = sl_cl_coord_find(cl, l->type, l->key, sl_cl_now_ms(cl) + l->deadline_ms, lookup_cb, l);
    if (l->ret != SL_OK)
        l->done = true;
}

static bool lookup_done(sl_cl_t *cl, void *arg)
{
    (void)cl;
    lookup_t *l = arg;
    pthread_mutex_lock(&g_fc.mu);
    bool d = l->done;
    pthread_mutex_unlock(&g_fc.mu);
    return d;
}

static sl_err_t find(sl_cl_t *cl, int8_t type, const char *key, int deadline_ms, int32_t *node)
{
    lookup_t l = {type, key, deadline_ms, false, SL_OK, -1, SL_OK};
    assert_int_equal(sl_cl_call(cl, lookup_start, &l), SL_OK);
    assert_int_equal(l.ret, SL_OK);
    assert_true(cu_wait_io(cl, lookup_done, &l, deadline_ms + 10000));
    *node = l.node;
    return l.err;
}

static void script(int fail_first, int16_t err, uint16_t port)
{
    pthread_mutex_lock(&g_fc.mu);
    g_fc.fail_first = fail_first;
    g_fc.err = err;
    g_fc.seen = 0;
    g_fc.port = port;
    pthread_mutex_unlock(&g_fc.mu);
}

/* Several lookups started together: one v4 request with every key, or one
 * request per key below v4. */
static lookup_t g_many[3];

static void start_many(sl_cl_t *cl, void *arg)
{
    (void)arg;
    static const char *keys[] = {"m1", "m2", "m3"};
    for (int i = 0; i < 3; i++) {
        g_many[i] = (lookup_t){0, keys[i], 10000, false, SL_OK, -1, SL_OK};
        lookup_start(cl, &g_many[i]);
        assert_int_equal(g_many[i].ret, SL_OK);
    }
}

static bool many_done(sl_cl_t *cl, void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        if (!lookup_done(cl, &g_many[i]))
            return false;
    return true;
}

static void forget(sl_cl_t *cl, void *arg)
{
    sl_cl_coord_forget(cl, 0, arg);
}

static void run_lookups(sl_fb_t *fb, int16_t expect_version)
{
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    int32_t node = -1;
    script(2, SL_ERR_COORDINATOR_LOAD_IN_PROGRESS, sl_fb_port(fb, 0));
    assert_int_equal(find(cl, 0, "g1", 10000, &node), SL_OK);
    assert_int_equal(node, 0);
    assert_int_equal(g_fc.seen, 3);
    assert_int_equal(g_fc.last_version, expect_version);
    assert_string_equal(g_fc.last_key, "g1");
    /* cached */
    assert_int_equal(find(cl, 0, "g1", 10000, &node), SL_OK);
    assert_int_equal(g_fc.seen, 3);
    /* forgotten: asked again; COORDINATOR_NOT_AVAILABLE is retried too */
    sl_cl_call(cl, forget, "g1");
    script(1, SL_ERR_COORDINATOR_NOT_AVAILABLE, sl_fb_port(fb, 0));
    assert_int_equal(find(cl, 0, "g1", 10000, &node), SL_OK);
    assert_int_equal(g_fc.seen, 2);
    /* a transactional id: key type 1 */
    script(0, 0, sl_fb_port(fb, 0));
    assert_int_equal(find(cl, 1, "tx", 10000, &node), SL_OK);
    assert_int_equal(g_fc.last_type, 1);
    /* not retriable: at once */
    script(100, SL_ERR_GROUP_AUTHORIZATION_FAILED, sl_fb_port(fb, 0));
    assert_int_equal(find(cl, 0, "g2", 10000, &node), SL_ERR_GROUP_AUTHORIZATION_FAILED);
    assert_int_equal(g_fc.seen, 1);
    /* three at once */
    script(0, 0, sl_fb_port(fb, 0));
    sl_cl_call(cl, start_many, NULL);
    assert_true(cu_wait_io(cl, many_done, NULL, 20000));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g_many[i].err, SL_OK);
        assert_int_equal(g_many[i].node, 0);
    }
    if (expect_version >= 4) {
        assert_int_equal(g_fc.seen, 1);
        assert_int_equal(g_fc.last_nkeys, 3);
    } else {
        assert_int_equal(g_fc.seen, 3);
    }
    /* never available: the deadline ends it */
    script(100000, SL_ERR_COORDINATOR_NOT_AVAILABLE, sl_fb_port(fb, 0));
    assert_int_equal(find(cl, 0, "g3", 300, &node), SL_ERR_TIMEOUT);
    assert_true(g_fc.seen >= 2);
    sl_cl_free(cl);
}

static void test_v4(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_set_handler(fb, fc_handler, NULL);
    run_lookups(fb, 4);
    sl_fb_free(fb);
}

static void test_v3(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_set_handler(fb, fc_handler, NULL);
    sl_fb_set_api(fb, 10, 0, 3);
    run_lookups(fb, 3);
    /* a batch formed before the version was known: the first key goes in
     * Key, the others are asked for afterwards, one by one */
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    script(0, 0, sl_fb_port(fb, 0));
    sl_cl_call(cl, start_many, NULL);
    assert_true(cu_wait_io(cl, many_done, NULL, 20000));
    for (int i = 0; i < 3; i++)
        assert_int_equal(g_many[i].err, SL_OK);
    assert_int_equal(g_fc.seen, 3);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4),
        cmocka_unit_test(test_v3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
