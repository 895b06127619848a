/*
 * cons_close_test.c - sl_consumer_close is bounded (client.h: the commit
 * and LeaveGroup within request.timeout.ms together) when the brokers are
 * gone. On librdkafka's mock cluster (rd_mock.h) a consumer with group.id
 * and auto commit reads every record (so close has positions to commit),
 * then every broker goes down (connections closed and refused) or stops
 * answering (a round-trip time far beyond the test), and close runs on a
 * thread of its own. It must come back, with an error (nothing could be
 * committed) and a consumer that frees; the test's wait for it is bounded
 * only to turn a hang into a failure. Both kinds of consumer: a group
 * member (subscribe: commit, then LeaveGroup) and an assigned consumer
 * with a group.id (the commit alone).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"
#include "client_util.h"
#include "rd_mock.h"

#define TOPIC "ct"
#define NPARTS 2
#define NMSGS 20
#define HANG_WAIT_MS 60000   /* only a hang gets anywhere near this */

static rd_kafka_t *g_rk;
static rd_kafka_mock_cluster_t *g_mc;

static int setup(void **state)
{
    (void)state;
    return rdm_start(&g_rk, &g_mc, TOPIC, NPARTS);
}

static int teardown(void **state)
{
    (void)state;
    rdm_stop(g_rk, g_mc);
    return 0;
}

static sl_conf_t *conf_of(const char *const *kv)
{
    sl_conf_t *conf = sl_conf_new();
    char err[256];
    assert_non_null(conf);
    assert_int_equal(sl_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(g_mc), err,
                                 sizeof err), SL_OK);
    for (size_t i = 0; kv[i]; i += 2)
        assert_int_equal(sl_conf_set(conf, kv[i], kv[i + 1], err, sizeof err), SL_OK);
    return conf;
}

static void on_delivery(sl_producer_t *p, const sl_message_t *m, void *arg)
{
    (void)p;
    if (!m->err)
        (*(int *)arg)++;
}

/* NMSGS records, spread over the partitions, every one delivered. */
static void produce_all(void)
{
    static const char *const kv[] = {"enable.idempotence", "false", "acks", "1", NULL};
    sl_conf_t *conf = conf_of(kv);
    sl_producer_t *p = NULL;
    char err[256];
    int delivered = 0;
    assert_int_equal(sl_producer_new(conf, on_delivery, &delivered, &p, err, sizeof err), SL_OK);
    sl_conf_free(conf);
    for (int i = 0; i < NMSGS; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        sl_produce_rec_t rec = {.topic = TOPIC, .partition = i % NPARTS, .key = NULL, .key_len = -1,
                                .value = v, .value_len = (int32_t)strlen(v)};
        assert_int_equal(sl_producer_send(p, &rec), SL_OK);
    }
    assert_int_equal(sl_producer_flush(p, 20000), SL_OK);
    assert_int_equal(delivered, NMSGS);
    sl_producer_free(p);
}

/* A consumer with group.id, auto commit (never due on its own before
 * close) and short timeouts: subscribed to TOPIC, or assigned every
 * partition from the start. Returns once it has read all NMSGS. */
static sl_consumer_t *consumer_reading_all(bool subscribe)
{
    static const char *const kv[] = {"group.id", "close-g", "auto.offset.reset", "earliest",
                                     "enable.auto.commit", "true", "auto.commit.interval.ms", "600000",
                                     "request.timeout.ms", "2000", "retry.backoff.ms", "50",
                                     "reconnect.backoff.ms", "20", "reconnect.backoff.max.ms", "100",
                                     "session.timeout.ms", "6000", "heartbeat.interval.ms", "500",
                                     "fetch.max.wait.ms", "50", NULL};
    sl_conf_t *conf = conf_of(kv);
    sl_consumer_t *c = NULL;
    char err[256];
    assert_int_equal(sl_consumer_new(conf, NULL, NULL, &c, err, sizeof err), SL_OK);
    sl_conf_free(conf);
    if (subscribe) {
        const char *topics[] = {TOPIC};
        assert_int_equal(sl_consumer_subscribe(c, topics, 1), SL_OK);
    } else {
        sl_tp_offset_t parts[NPARTS];
        for (int i = 0; i < NPARTS; i++)
            parts[i] = (sl_tp_offset_t){.topic = TOPIC, .partition = i, .offset = SL_OFFSET_BEGINNING,
                                        .leader_epoch = -1};
        assert_int_equal(sl_consumer_assign(c, parts, NPARTS), SL_OK);
    }
    int got = 0;
    for (int i = 0; i < 600 && got < NMSGS; i++) {   /* at most 600 polls of 100 ms */
        sl_message_t *m = NULL;
        sl_err_t e = sl_consumer_poll(c, 100, &m);
        if (e == SL_ERR_TIMEOUT)
            continue;
        assert_int_equal(e, SL_OK);
        assert_int_equal(m->err, SL_OK);
        got++;
        sl_message_free(m);
    }
    assert_int_equal(got, NMSGS);
    return c;
}

typedef struct closer {
    sl_consumer_t *c;
    atomic_bool done;
    sl_err_t err;
} closer_t;

static void *close_thread(void *arg)
{
    closer_t *k = arg;
    k->err = sl_consumer_close(k->c);
    atomic_store(&k->done, true);
    return NULL;
}

/* Closes c on a thread of its own; fails the test when close does not come
 * back within HANG_WAIT_MS. Returns close's result and frees c. */
static sl_err_t close_bounded(sl_consumer_t *c)
{
    closer_t k = {.c = c};
    atomic_init(&k.done, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, close_thread, &k), 0);
    for (int waited = 0; !atomic_load(&k.done) && waited < HANG_WAIT_MS; waited += 10)
        cu_sleep_ms(10);
    if (!atomic_load(&k.done))
        fail_msg("sl_consumer_close did not return with every broker gone");
    pthread_join(th, NULL);
    sl_consumer_free(c);
    return k.err;
}

static void brokers_down(void)
{
    for (int32_t id = 1; id <= 3; id++)
        assert_int_equal(rd_kafka_mock_broker_set_down(g_mc, id), RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void brokers_mute(void)
{
    for (int32_t id = 1; id <= 3; id++)
        assert_int_equal(rd_kafka_mock_broker_set_rtt(g_mc, id, 10 * 60 * 1000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void check_close(bool subscribe, void (*gone)(void))
{
    produce_all();
    sl_consumer_t *c = consumer_reading_all(subscribe);
    gone();
    sl_err_t err = close_bounded(c);
    /* the commit of the positions read could not be made */
    assert_int_not_equal(err, SL_OK);
    assert_int_not_equal(err, SL_ERR_STATE);
}

static void test_member_brokers_down(void **state)
{
    (void)state;
    check_close(true, brokers_down);
}

static void test_member_brokers_mute(void **state)
{
    (void)state;
    check_close(true, brokers_mute);
}

static void test_assigned_brokers_down(void **state)
{
    (void)state;
    check_close(false, brokers_down);
}

static void test_assigned_brokers_mute(void **state)
{
    (void)state;
    check_close(false, brokers_mute);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_member_brokers_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_member_brokers_mute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assigned_brokers_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assigned_brokers_mute, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
