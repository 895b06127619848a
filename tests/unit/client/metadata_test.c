/*
 * metadata_test.c - the metadata cache against a two-node fake cluster:
 * topics asked for are fetched, brokers and controller known, a leader
 * change is picked up after a refresh (as after NOT_LEADER_OR_FOLLOWER),
 * unknown topics are retried quickly until they appear, auto-creation is
 * asked for only when enabled, and requests to a node id wait for its
 * address.
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

typedef struct want {
    const char *topic;
    int32_t partition;
    int32_t leader;       /* wanted leader (-2: any, just known) */
    int32_t epoch;
    sl_err_t err;         /* wanted topic error */
    int updates;
} want_t;

static bool topic_is(sl_cl_t *cl, void *arg)
{
    want_t *w = arg;
    const sl_cl_topic_t *t = sl_cl_topic(cl, w->topic);
    if (!t)
        return false;
    if (t->err != w->err)
        return false;
    if (w->err)
        return true;
    if (w->partition >= t->partition_count)
        return false;
    const sl_cl_part_t *p = &t->parts[w->partition];
    if (w->leader == -2)
        return p->leader >= 0;
    return p->leader == w->leader && p->leader_epoch == w->epoch;
}

static int g_updates;

static void on_update(sl_cl_t *cl, void *arg)
{
    (void)cl;
    (void)arg;
    g_updates++;
}

static void listen_updates(sl_cl_t *cl, void *arg)
{
    (void)arg;
    assert_int_equal(sl_cl_metadata_listen(cl, on_update, NULL), SL_OK);
}

typedef struct cluster {
    int32_t controller;
    char cluster_id[64];
    char host1[64];
    int32_t port1;
} cluster_t;

static void read_cluster(sl_cl_t *cl, void *arg)
{
    cluster_t *c = arg;
    c->controller = sl_cl_controller(cl);
    const char *id = sl_cl_cluster_id(cl);
    snprintf(c->cluster_id, sizeof c->cluster_id, "%s", id ? id : "");
    const char *h = sl_cl_broker_host(cl, 1, &c->port1);
    snprintf(c->host1, sizeof c->host1, "%s", h ? h : "");
}

static void refresh(sl_cl_t *cl, void *arg)
{
    (void)arg;
    sl_cl_metadata_refresh(cl);
}

static void test_topics_and_leaders(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(2);
    sl_fb_topic_set(fb, "t", 2);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    g_updates = 0;
    sl_cl_call(cl, listen_updates, NULL);
    want_t w = {"t", 1, 1, 0, SL_OK, 0};
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    w.partition = 0;
    w.leader = 0;
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    cluster_t c;
    sl_cl_call(cl, read_cluster, &c);
    assert_int_equal(c.controller, 0);
    assert_string_equal(c.cluster_id, "fake-cluster");
    assert_string_equal(c.host1, "127.0.0.1");
    assert_int_equal(c.port1, sl_fb_port(fb, 1));
    assert_true(g_updates >= 1);
    /* the leader moves (what NOT_LEADER_OR_FOLLOWER tells a producer); a
     * refresh finds the new one */
    sl_fb_topic_leader(fb, "t", 0, 1, 3);
    int before = sl_fb_count(fb, 3);
    sl_cl_call(cl, refresh, NULL);
    w.leader = 1;
    w.epoch = 3;
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    assert_true(sl_fb_count(fb, 3) > before);
    /* refreshes asked for together are coalesced */
    before = sl_fb_count(fb, 3);
    for (int i = 0; i < 10; i++)
        sl_cl_call(cl, refresh, NULL);
    cu_sleep_ms(300);
    assert_true(sl_fb_count(fb, 3) - before <= 3);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

static void forget_later(sl_cl_t *cl, void *arg)
{
    (void)arg;
    sl_cl_topic_forget(cl, "later");
}

/* Whether the last Metadata request named "later". */
static pthread_mutex_t g_md_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_md_seen;
static bool g_md_later;

static sl_fb_reply_t md_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    (void)arg;
    sl_fb_reply_t r = {SL_FB_DEFAULT, NULL, 0};
    if (req->api_key != 3)
        return r;
    const sl_MetadataRequest_t *q = req->body;
    bool later = false;
    for (int32_t i = 0; i < q->Topics.count; i++)
        later |= sl_kstr_eq(q->Topics.items[i].Name, "later");
    pthread_mutex_lock(&g_md_mu);
    g_md_seen++;
    g_md_later = later;
    pthread_mutex_unlock(&g_md_mu);
    return r;
}

static bool later_not_asked(sl_cl_t *cl, void *arg)
{
    (void)cl;
    int *since = arg;
    pthread_mutex_lock(&g_md_mu);
    bool ok = g_md_seen > *since && !g_md_later;
    pthread_mutex_unlock(&g_md_mu);
    return ok;
}

static void test_unknown_then_created(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_set_handler(fb, md_handler, NULL);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    want_t w = {"later", 0, -2, 0, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION, 0};
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    /* created by someone else: the quick refresh finds it without a call */
    sl_fb_topic_set(fb, "later", 3);
    w.err = SL_OK;
    w.partition = 2;
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    /* a leaderless partition is retried until it has one */
    sl_fb_topic_leader(fb, "later", 1, -1, 1);
    sl_cl_call(cl, refresh, NULL);
    w.partition = 1;
    w.leader = -1;
    w.epoch = 1;
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    int before = sl_fb_count(fb, 3);
    sl_fb_topic_leader(fb, "later", 1, 0, 2);
    w.leader = 0;
    w.epoch = 2;
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    assert_true(sl_fb_count(fb, 3) > before);
    /* forgotten: no longer asked for */
    pthread_mutex_lock(&g_md_mu);
    int since = g_md_seen;
    pthread_mutex_unlock(&g_md_mu);
    assert_true(g_md_later);
    sl_cl_call(cl, forget_later, NULL);
    sl_cl_call(cl, refresh, NULL);
    assert_true(cu_wait_io(cl, later_not_asked, &since, 10000));
    sl_cl_free(cl);
    sl_fb_free(fb);
}

/* metadata.max.age.ms: refreshes come by themselves once a topic is known. */
static void test_max_age(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_topic_set(fb, "aged", 1);
    const char *extra[] = {"metadata.max.age.ms", "100", NULL};
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), extra);
    want_t w = {"aged", 0, 0, 0, SL_OK, 0};
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    int before = sl_fb_count(fb, 3);
    for (int i = 0; i < 500 && sl_fb_count(fb, 3) < before + 3; i++)
        cu_sleep_ms(10);
    assert_true(sl_fb_count(fb, 3) >= before + 3);
    /* and they pick up changes without being asked */
    sl_fb_topic_leader(fb, "aged", 0, -1, 5);
    w.leader = -1;
    w.epoch = 5;
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    sl_cl_free(cl);
    sl_fb_free(fb);
}

static void auto_on(sl_cl_t *cl, void *arg)
{
    (void)arg;
    sl_cl_metadata_set_auto_create(cl, true);
}

static void test_auto_create(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    sl_fb_set_auto_create(fb, true);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    /* off by default: the topic stays unknown */
    want_t w = {"auto1", 0, -2, 0, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION, 0};
    assert_true(cu_wait_io(cl, topic_is, &w, 10000));
    sl_cl_call(cl, auto_on, NULL);
    want_t w2 = {"auto2", 0, 0, 0, SL_OK, 0};
    assert_true(cu_wait_io(cl, topic_is, &w2, 10000));
    sl_cl_free(cl);
    sl_fb_free(fb);
}

/* A request to node 1 before any metadata: it waits for the address. */
static sl_ListGroupsRequest_t g_body;
static int g_node_seen = -1;

static sl_fb_reply_t lg_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    (void)arg;
    sl_fb_reply_t r = {SL_FB_DEFAULT, NULL, 0};
    if (req->api_key != 16)
        return r;
    g_node_seen = req->node;
    sl_ListGroupsResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
    sl_ListGroupsResponse_init(b);
    r.action = SL_FB_REPLY;
    r.body = b;
    return r;
}

static void test_node_address_from_metadata(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(2);
    sl_fb_set_handler(fb, lg_handler, NULL);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    cu_req_t r;
    memset(&r, 0, sizeof r);
    sl_ListGroupsRequest_init(&g_body);
    r.req.api_key = 16;
    r.req.max_version = -1;
    r.req.body = &g_body;
    r.req.node_id = 1;
    assert_int_equal(cu_send(cl, &r, 10000), SL_OK);
    assert_int_equal(g_node_seen, 1);
    /* a node no metadata names: the request times out */
    r.req.node_id = 7;
    r.req.timeout_ms = 300;
    assert_int_equal(cu_send(cl, &r, 10000), SL_ERR_TIMEOUT);
    sl_cl_free(cl);
    sl_fb_free(fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topics_and_leaders),
        cmocka_unit_test(test_unknown_then_created),
        cmocka_unit_test(test_auto_create),
        cmocka_unit_test(test_max_age),
        cmocka_unit_test(test_node_address_from_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
