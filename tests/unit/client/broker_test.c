/*
 * broker_test.c - requests against the fake broker: ApiVersions
 * negotiation (and its fallback), the version chosen per request, a round
 * trip, timeouts (which close the connection), a refused connect, reconnects
 * after the broker restarts, a garbage answer, and max.in.flight for Produce.
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

/* ListGroups is the request the tests script: small and harmless. */
static sl_ListGroupsRequest_t g_body;

static void lg_req(cu_req_t *r, int32_t node)
{
    memset(r, 0, sizeof *r);
    sl_ListGroupsRequest_init(&g_body);
    r->req.api_key = 16;
    r->req.max_version = -1;
    r->req.body = &g_body;
    r->req.node_id = node;
}

typedef struct script {
    sl_fb_action_t action;
    int delay_ms;
    int16_t last_version;
    int seen;
} script_t;

static sl_fb_reply_t lg_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    script_t *s = arg;
    sl_fb_reply_t r = {SL_FB_DEFAULT, NULL, 0};
    if (req->api_key != 16)
        return r;
    s->last_version = req->api_version;
    s->seen++;
    r.action = s->action;
    r.delay_ms = s->delay_ms;
    if (r.action == SL_FB_REPLY) {
        sl_ListGroupsResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
        sl_ListGroupsResponse_init(b);
        sl_ListGroupsResponse_ListedGroup_t *g = sl_arena_zalloc(req->arena, sizeof *g);
        sl_ListGroupsResponse_ListedGroup_init(g);
        g->GroupId = sl_kstr("group-a");
        g->ProtocolType = sl_kstr("consumer");
        b->Groups.count = 1;
        b->Groups.items = g;
        r.body = b;
    }
    return r;
}

/* A one-node fake broker whose ListGroups answers follow s (borrowed). */
static sl_fb_t *lg_broker(script_t *s)
{
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_set_handler(fb, lg_handler, s);
    return fb;
}

/* Sends a ListGroups to any node and waits for its end. */
static sl_err_t lg_send(sl_cl_t *cl, cu_req_t *r)
{
    lg_req(r, SL_CL_NODE_ANY);
    return cu_send(cl, r, 10000);
}

/* Asserts that the client's last error mentions needle. */
static void assert_last_error(sl_cl_t *cl, const char *needle)
{
    char why[256];
    sl_cl_last_error(cl, why, sizeof why);
    if (!strstr(why, needle))
        fail_msg("last error \"%s\" does not mention %s", why, needle);
}

static char g_group[64];

static void lg_inspect(sl_cl_t *cl, const void *resp, int16_t version, void *arg)
{
    (void)cl;
    (void)version;
    (void)arg;
    const sl_ListGroupsResponse_t *b = resp;
    snprintf(g_group, sizeof g_group, "%.*s", b->Groups.count > 0 ? (int)b->Groups.items[0].GroupId.len : 0,
             b->Groups.count > 0 ? b->Groups.items[0].GroupId.ptr : "");
}

typedef struct vq {
    int32_t node;
    int16_t key;
    int16_t v;
} vq_t;

static void ask_version(sl_cl_t *cl, void *arg)
{
    vq_t *q = arg;
    q->v = sl_cl_api_version(cl, q->node, q->key);
}

static void test_round_trip_and_versions(void **state)
{
    (void)state;
    script_t s = {SL_FB_REPLY, 0, -1, 0};
    sl_fb_t *fb = lg_broker(&s);
    sl_fb_set_api(fb, 16, 0, 2);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    cu_req_t r;
    lg_req(&r, SL_CL_NODE_ANY);
    r.inspect = lg_inspect;
    g_group[0] = '\0';
    assert_int_equal(cu_send(cl, &r, 10000), SL_OK);
    assert_int_equal(r.version, 2);
    assert_int_equal(s.last_version, 2);
    assert_string_equal(g_group, "group-a");
    /* ApiVersions went first, in v3 (this broker knows it) */
    assert_int_equal(sl_fb_count(fb, 18), 1);
    vq_t q = {SL_CL_NODE_ANY, 16, -2};
    sl_cl_call(cl, ask_version, &q);
    assert_int_equal(q.v, 2);
    /* a range above the broker's: UNSUPPORTED, nothing sent */
    lg_req(&r, SL_CL_NODE_ANY);
    r.req.min_version = 3;
    assert_int_equal(cu_send(cl, &r, 10000), SL_ERR_UNSUPPORTED);
    assert_int_equal(s.seen, 1);
    /* max_version caps the choice */
    lg_req(&r, SL_CL_NODE_ANY);
    r.req.max_version = 1;
    assert_int_equal(cu_send(cl, &r, 10000), SL_OK);
    assert_int_equal(s.last_version, 1);
    /* an api the broker does not list */
    q.key = 57;
    sl_fb_set_api(fb, 57, 1, 0);
    sl_cl_call(cl, ask_version, &q);
    assert_true(q.v >= 0); /* the connection's ranges were read before */
    /* bad requests are refused at once */
    lg_req(&r, SL_CL_NODE_ANY);
    r.req.api_key = 999;
    assert_int_equal(cu_send(cl, &r, 1000), SL_ERR_INVAL);
    lg_req(&r, -7);
    assert_int_equal(cu_send(cl, &r, 1000), SL_ERR_INVAL);
    assert_int_equal(sl_fb_connections(fb), 1);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

static void test_apiversions_fallback(void **state)
{
    (void)state;
    script_t s = {SL_FB_REPLY, 0, -1, 0};
    sl_fb_t *fb = lg_broker(&s);
    sl_fb_set_apiversions_max(fb, 2);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    cu_req_t r;
    assert_int_equal(lg_send(cl, &r), SL_OK);
    /* v3 answered UNSUPPORTED_VERSION, then v2 on the same connection */
    assert_int_equal(sl_fb_count(fb, 18), 2);
    assert_int_equal(sl_fb_connections(fb), 1);
    sl_cl_free(cl);
    /* a broker that does not even name ApiVersions' range: v0 */
    sl_fb_set_apiversions_max(fb, 0);
    sl_fb_set_api(fb, 18, 1, 0);
    cl = cu_core(sl_fb_bootstrap(fb), NULL);
    assert_int_equal(lg_send(cl, &r), SL_OK);
    assert_int_equal(sl_fb_count(fb, 18), 4);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

static void test_timeout_closes(void **state)
{
    (void)state;
    script_t s = {SL_FB_IGNORE, 0, -1, 0};
    sl_fb_t *fb = lg_broker(&s);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    cu_req_t r;
    lg_req(&r, SL_CL_NODE_ANY);
    r.req.timeout_ms = 200;
    assert_int_equal(cu_send(cl, &r, 10000), SL_ERR_TIMEOUT);
    assert_last_error(cl, "timed out");
    /* the connection was closed: the next request opens another */
    s.action = SL_FB_REPLY;
    assert_int_equal(lg_send(cl, &r), SL_OK);
    assert_int_equal(sl_fb_connections(fb), 2);
    /* a late answer within the timeout is fine */
    s.delay_ms = 100;
    lg_req(&r, SL_CL_NODE_ANY);
    r.req.timeout_ms = 3000;
    assert_int_equal(cu_send(cl, &r, 10000), SL_OK);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

static void test_refused(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    uint16_t port = sl_fb_port(fb, 0);
    sl_fb_node_down(fb, 0);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    cu_req_t r;
    assert_int_equal(lg_send(cl, &r), SL_ERR_NETWORK_EXCEPTION);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%u", (unsigned)port);
    assert_last_error(cl, want);
    assert_last_error(cl, "refused");
    sl_cl_free(cl);
    sl_fb_free(fb);
}

/* An IPv6 bootstrap address is named in brackets in the error (whether
 * the connect is refused or IPv6 is missing altogether). */
static void test_ipv6_named(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    uint16_t port = sl_fb_port(fb, 0);
    sl_fb_free(fb);
    char boot[64];
    snprintf(boot, sizeof boot, "[::1]:%u", (unsigned)port);
    sl_cl_t *cl = cu_core(boot, NULL);
    cu_req_t r;
    lg_req(&r, SL_CL_NODE_ANY);
    assert_int_equal(cu_send(cl, &r, 15000), SL_ERR_NETWORK_EXCEPTION);
    assert_last_error(cl, boot);
    sl_cl_free(cl);
}

static void test_reconnect_after_restart(void **state)
{
    (void)state;
    script_t s = {SL_FB_REPLY, 0, -1, 0};
    sl_fb_t *fb = lg_broker(&s);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    cu_req_t r;
    assert_int_equal(lg_send(cl, &r), SL_OK);
    sl_fb_node_down(fb, 0);
    assert_int_equal(lg_send(cl, &r), SL_ERR_NETWORK_EXCEPTION);
    assert_true(sl_fb_node_up(fb, 0));
    sl_err_t err = SL_ERR_NETWORK_EXCEPTION;
    for (int i = 0; i < 50 && err != SL_OK; i++) {
        lg_req(&r, SL_CL_NODE_ANY);
        err = cu_send(cl, &r, 10000);
        if (err != SL_OK)
            cu_sleep_ms(50);
    }
    assert_int_equal(err, SL_OK);
    assert_true(sl_fb_connections(fb) >= 2);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

static void test_garbage(void **state)
{
    (void)state;
    script_t s = {SL_FB_GARBAGE, 0, -1, 0};
    sl_fb_t *fb = lg_broker(&s);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    cu_req_t r;
    assert_int_equal(lg_send(cl, &r), SL_ERR_PARSE);
    assert_last_error(cl, "ListGroups");
    s.action = SL_FB_REPLY;
    assert_int_equal(lg_send(cl, &r), SL_OK);
    assert_int_equal(sl_fb_connections(fb), 2);
    /* a dropped connection: NETWORK_EXCEPTION */
    s.action = SL_FB_DROP;
    assert_int_equal(lg_send(cl, &r), SL_ERR_NETWORK_EXCEPTION);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

/* An answer larger than receive.message.max.bytes closes the connection. */
static sl_fb_reply_t big_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    (void)arg;
    sl_fb_reply_t r = {SL_FB_DEFAULT, NULL, 0};
    if (req->api_key != 16)
        return r;
    sl_ListGroupsResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
    sl_ListGroupsResponse_init(b);
    sl_ListGroupsResponse_ListedGroup_t *g = sl_arena_calloc(req->arena, 200, sizeof *g);
    for (int i = 0; i < 200; i++) {
        sl_ListGroupsResponse_ListedGroup_init(&g[i]);
        g[i].GroupId = sl_kstr("a-group-with-a-rather-long-name");
        g[i].ProtocolType = sl_kstr("consumer");
    }
    b->Groups.count = 200;
    b->Groups.items = g;
    r.action = SL_FB_REPLY;
    r.body = b;
    return r;
}

static void test_frame_too_large(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_set_handler(fb, big_handler, NULL);
    const char *extra[] = {"receive.message.max.bytes", "1000", NULL};
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), extra);
    cu_req_t r;
    assert_int_equal(lg_send(cl, &r), SL_ERR_NETWORK_EXCEPTION);
    assert_last_error(cl, "receive.message.max.bytes");
    sl_cl_free(cl);
    sl_fb_free(fb);
}

/* Garbage in place of the ApiVersions answer: the connection is unusable. */
static sl_fb_reply_t av_garbage(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    (void)arg;
    sl_fb_reply_t r = {req->api_key == 18 ? SL_FB_GARBAGE : SL_FB_DEFAULT, NULL, 0};
    return r;
}

static void test_apiversions_garbage(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_set_handler(fb, av_garbage, NULL);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    cu_req_t r;
    assert_int_equal(lg_send(cl, &r), SL_ERR_NETWORK_EXCEPTION);
    assert_last_error(cl, "ApiVersions");
    sl_cl_free(cl);
    sl_fb_free(fb);
}

/* Two bootstrap addresses, the first refused: the next request goes to the
 * second while the first backs off. */
static void test_second_bootstrap(void **state)
{
    (void)state;
    sl_fb_t *dead = sl_fb_new(1);
    script_t s = {SL_FB_REPLY, 0, -1, 0};
    sl_fb_t *fb = lg_broker(&s);
    sl_fb_node_down(dead, 0);
    char boot[128];
    snprintf(boot, sizeof boot, "%s,%s", sl_fb_bootstrap(dead), sl_fb_bootstrap(fb));
    const char *extra[] = {"reconnect.backoff.ms", "5000", "reconnect.backoff.max.ms", "10000", NULL};
    sl_cl_t *cl = cu_core(boot, extra);
    cu_req_t r;
    assert_int_equal(lg_send(cl, &r), SL_ERR_NETWORK_EXCEPTION);
    assert_int_equal(lg_send(cl, &r), SL_OK);
    assert_int_equal(s.seen, 1);
    sl_cl_free(cl);
    sl_fb_free(fb);
    sl_fb_free(dead);
}

/* Random bytes after the correlation id, for the handshake and for
 * requests of several apis: each is an error for its request (or, rarely,
 * a valid answer), never a crash or a hang, and the core keeps working. */
typedef struct noise {
    pthread_mutex_t mu;
    uint64_t rng;
    uint8_t bytes[96];
    bool handshake;     /* garble ApiVersions too */
} noise_t;

static noise_t g_noise = {PTHREAD_MUTEX_INITIALIZER, 0x9e3779b97f4a7c15ull, {0}, false};

static sl_fb_reply_t noise_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    (void)arg;
    sl_fb_reply_t r = {SL_FB_DEFAULT, NULL, 0};
    pthread_mutex_lock(&g_noise.mu);
    if (req->api_key != 18 || g_noise.handshake) {
        uint64_t x = g_noise.rng;
        size_t n = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        n = (size_t)(x % sizeof g_noise.bytes);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* small values make plausible lengths and counts */
            g_noise.bytes[i] = (uint8_t)((x & 3) == 0 ? x >> 8 : (x >> 8) & 3);
        }
        g_noise.rng = x;
        sl_fb_raw_t *raw = sl_arena_zalloc(req->arena, sizeof *raw);
        raw->bytes = sl_arena_memdup(req->arena, g_noise.bytes, n ? n : 1);
        raw->len = n;
        r.action = SL_FB_RAW;
        r.body = raw;
    }
    pthread_mutex_unlock(&g_noise.mu);
    return r;
}

static sl_MetadataRequest_t g_md;
static sl_FindCoordinatorRequest_t g_fc;

static void test_random_answers(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_set_handler(fb, noise_handler, NULL);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    int ok = 0, failed = 0;
    for (int i = 0; i < 300; i++) {
        g_noise.handshake = i % 5 == 0;
        cu_req_t r;
        lg_req(&r, SL_CL_NODE_ANY);
        r.req.timeout_ms = 2000;
        if (i % 3 == 1) {
            sl_MetadataRequest_init(&g_md);
            r.req.api_key = 3;
            r.req.body = &g_md;
        } else if (i % 3 == 2) {
            sl_FindCoordinatorRequest_init(&g_fc);
            g_fc.Key = sl_kstr("g");
            r.req.api_key = 10;
            r.req.max_version = 3;
            r.req.body = &g_fc;
        }
        sl_err_t err = cu_send(cl, &r, 10000);
        if (err == SL_OK)
            ok++;
        else if (err == SL_ERR_PARSE || err == SL_ERR_NETWORK_EXCEPTION || err == SL_ERR_TIMEOUT ||
                 err == SL_ERR_UNSUPPORTED) /* a garbled ApiVersions may read as a valid one */
            failed++;
        else
            fail_msg("unexpected %s", sl_err_name(err));
    }
    assert_int_equal(ok + failed, 300);
    assert_true(failed > 0);
    /* still usable with a sane broker (on a new connection: a garbled
     * ApiVersions answer that read as valid leaves odd ranges on the old) */
    sl_fb_set_handler(fb, NULL, NULL);
    sl_fb_node_down(fb, 0);
    assert_true(sl_fb_node_up(fb, 0));
    sl_err_t err = SL_ERR_NETWORK_EXCEPTION;
    for (int i = 0; i < 20 && err != SL_OK; i++) {
        cu_req_t r;
        memset(&r, 0, sizeof r);
        sl_MetadataRequest_init(&g_md);
        r.req.api_key = 3;
        r.req.max_version = -1;
        r.req.body = &g_md;
        r.req.node_id = SL_CL_NODE_ANY;
        err = cu_send(cl, &r, 10000);
        if (err != SL_OK)
            cu_sleep_ms(50);
    }
    assert_int_equal(err, SL_OK);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

/* ---- max.in.flight for Produce ---- */

/* The broker never answers Produce, so what it sees is what the client let
 * go: max.in.flight requests, the rest held back. */
static sl_fb_reply_t produce_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    (void)arg;
    sl_fb_reply_t r = {req->api_key == 0 ? SL_FB_IGNORE : SL_FB_DEFAULT, NULL, 0};
    return r;
}

static sl_ProduceRequest_t g_prod;
static int g_prod_done, g_prod_timeouts;

static void prod_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)cl;
    (void)version;
    (void)resp;
    (void)arg;
    if (err == SL_ERR_TIMEOUT)
        g_prod_timeouts++;
    else
        assert_int_equal(err, SL_ERR_NETWORK_EXCEPTION);
    g_prod_done++;
}

static void send_produces(sl_cl_t *cl, void *arg)
{
    (void)arg;
    sl_ProduceRequest_init(&g_prod);
    g_prod.Acks = -1;
    g_prod.TimeoutMs = 1000;
    for (int i = 0; i < 6; i++) {
        sl_cl_req_t req = {.api_key = 0, .min_version = 3, .max_version = -1, .body = &g_prod,
                           .node_id = SL_CL_NODE_ANY, .timeout_ms = 1500};
        assert_int_equal(sl_cl_send(cl, &req, prod_cb, NULL), SL_OK);
    }
}

static bool prods_done(sl_cl_t *cl, void *arg)
{
    (void)cl;
    (void)arg;
    return g_prod_done == 6;
}

static void test_produce_in_flight(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_set_handler(fb, produce_handler, NULL);
    const char *extra[] = {"max.in.flight.requests.per.connection", "2", NULL};
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), extra);
    g_prod_done = g_prod_timeouts = 0;
    assert_int_equal(sl_cl_call(cl, send_produces, NULL), SL_OK);
    for (int i = 0; i < 500 && sl_fb_count(fb, 0) < 2; i++)
        cu_sleep_ms(10);
    assert_int_equal(sl_fb_count(fb, 0), 2);
    cu_sleep_ms(200);
    assert_int_equal(sl_fb_count(fb, 0), 2);
    /* the first in flight times out, closing the connection: the other in
     * flight and the queued ones fail with NETWORK_EXCEPTION (or time out) */
    assert_true(cu_wait_io(cl, prods_done, NULL, 10000));
    assert_true(g_prod_timeouts >= 1);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_versions),
        cmocka_unit_test(test_apiversions_fallback),
        cmocka_unit_test(test_timeout_closes),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_ipv6_named),
        cmocka_unit_test(test_reconnect_after_restart),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_produce_in_flight),
        cmocka_unit_test(test_frame_too_large),
        cmocka_unit_test(test_apiversions_garbage),
        cmocka_unit_test(test_second_bootstrap),
        cmocka_unit_test(test_random_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
