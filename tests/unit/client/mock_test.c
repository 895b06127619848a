/*
 * mock_test.c - the core against another implementation of the protocol:
 * librdkafka's mock cluster (three brokers, ids 1-3, in this process).
 * Metadata with leaders on several brokers, a leader moved and found after
 * a refresh, a coordinator lookup through injected COORDINATOR_LOAD_IN_PROGRESS
 * and COORDINATOR_NOT_AVAILABLE errors, a broker taken down and brought back.
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
#include "rd_mock.h"

static rd_kafka_t *g_rk;
static rd_kafka_mock_cluster_t *g_mc;

static int setup(void **state)
{
    (void)state;
    return rdm_start(&g_rk, &g_mc, "mt", 6);
}

static int teardown(void **state)
{
    (void)state;
    rdm_stop(g_rk, g_mc);
    return 0;
}

typedef struct leaders {
    int32_t leader[6];
    int known;
    int hosts;
} leaders_t;

static bool all_leaders(sl_cl_t *cl, void *arg)
{
    leaders_t *l = arg;
    const sl_cl_topic_t *t = sl_cl_topic(cl, "mt");
    l->known = 0;
    l->hosts = 0;
    if (!t || t->err || t->partition_count != 6)
        return false;
    for (int p = 0; p < 6; p++) {
        l->leader[p] = t->parts[p].leader;
        if (l->leader[p] >= 1) {
            l->known++;
            int32_t port = 0;
            if (sl_cl_broker_host(cl, l->leader[p], &port) && port > 0)
                l->hosts++;
        }
    }
    return l->known == 6 && l->hosts == 6;
}

typedef struct moved {
    int32_t partition, leader;
} moved_t;

static bool leader_is(sl_cl_t *cl, void *arg)
{
    moved_t *m = arg;
    const sl_cl_topic_t *t = sl_cl_topic(cl, "mt");
    if (!t || t->partition_count <= m->partition || t->parts[m->partition].leader != m->leader) {
        sl_cl_metadata_refresh(cl);
        return false;
    }
    return true;
}

static void test_metadata_and_leader_move(void **state)
{
    (void)state;
    sl_cl_t *cl = cu_core(rd_kafka_mock_cluster_bootstraps(g_mc), NULL);
    leaders_t l;
    assert_true(cu_wait_io(cl, all_leaders, &l, 15000));
    moved_t m = {0, l.leader[0] % 3 + 1};
    assert_int_equal(rd_kafka_mock_partition_set_leader(g_mc, "mt", 0, m.leader), 0);
    assert_true(cu_wait_io(cl, leader_is, &m, 15000));
    sl_cl_free(cl);
}

/* ---- coordinator ---- */

typedef struct lookup {
    pthread_mutex_t mu;
    bool done;
    sl_err_t err;
    int32_t node;
} lookup_t;

static void coord_cb(sl_cl_t *cl, sl_err_t err, int32_t node, void *arg)
{
    (void)cl;
    lookup_t *l = arg;
    pthread_mutex_lock(&l->mu);
    l->err = err;
    l->node = node;
    l->done = true;
    pthread_mutex_unlock(&l->mu);
}

static void coord_start(sl_cl_t *cl, void *arg)
{
    assert_int_equal(sl_cl_coord_find(cl, 0, "mock-group", sl_cl_now_ms(cl) + 15000, coord_cb, arg), SL_OK);
}

static bool coord_done(sl_cl_t *cl, void *arg)
{
    (void)cl;
    lookup_t *l = arg;
    pthread_mutex_lock(&l->mu);
    bool d = l->done;
    pthread_mutex_unlock(&l->mu);
    return d;
}

static void test_coordinator_retried(void **state)
{
    (void)state;
    assert_int_equal(rd_kafka_mock_coordinator_set(g_mc, "group", "mock-group", 2), 0);
    rd_kafka_mock_push_request_errors(g_mc, 10, 2, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                      RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
    sl_cl_t *cl = cu_core(rd_kafka_mock_cluster_bootstraps(g_mc), NULL);
    lookup_t l = {PTHREAD_MUTEX_INITIALIZER, false, SL_OK, -1};
    sl_cl_call(cl, coord_start, &l);
    assert_true(cu_wait_io(cl, coord_done, &l, 20000));
    assert_int_equal(l.err, SL_OK);
    assert_int_equal(l.node, 2);
    sl_cl_free(cl);
}

/* ---- a broker goes down and comes back ---- */

static sl_MetadataRequest_t g_md;

static void md_req(cu_req_t *r, int32_t node)
{
    memset(r, 0, sizeof *r);
    sl_MetadataRequest_init(&g_md);
    g_md.Topics.count = 0;
    r->req.api_key = 3;
    r->req.min_version = 1;
    r->req.max_version = -1;
    r->req.body = &g_md;
    r->req.node_id = node;
    r->req.timeout_ms = 2000;
}

static void test_broker_down_and_up(void **state)
{
    (void)state;
    sl_cl_t *cl = cu_core(rd_kafka_mock_cluster_bootstraps(g_mc), NULL);
    leaders_t l;
    assert_true(cu_wait_io(cl, all_leaders, &l, 15000));
    cu_req_t r;
    md_req(&r, 3);
    assert_int_equal(cu_send(cl, &r, 10000), SL_OK);
    assert_true(r.version >= 1);
    assert_int_equal(rd_kafka_mock_broker_set_down(g_mc, 3), 0);
    md_req(&r, 3);
    sl_err_t err = cu_send(cl, &r, 10000);
    assert_true(err == SL_ERR_NETWORK_EXCEPTION || err == SL_ERR_TIMEOUT);
    assert_int_equal(rd_kafka_mock_broker_set_up(g_mc, 3), 0);
    err = SL_ERR_NETWORK_EXCEPTION;
    for (int i = 0; i < 40 && err != SL_OK; i++) {
        md_req(&r, 3);
        err = cu_send(cl, &r, 10000);
        if (err != SL_OK)
            cu_sleep_ms(100);
    }
    assert_int_equal(err, SL_OK);
    sl_cl_free(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_and_leader_move),
        cmocka_unit_test(test_coordinator_retried),
        cmocka_unit_test(test_broker_down_and_up),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
