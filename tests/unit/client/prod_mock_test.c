/*
 * prod_mock_test.c - the producer against another implementation of the
 * protocol: librdkafka's mock cluster (three brokers in this process). Keyed
 * records go to the partitions Java's partitioner picks, leaders move in
 * the middle of the stream and Produce answers carry injected retriable
 * errors, and a librdkafka consumer then reads every record exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"
#include "rd_mock.h"

#define NPARTS 4
#define N 4000

static rd_kafka_t *g_rk;
static rd_kafka_mock_cluster_t *g_mc;
static int g_ok, g_failed;
static int32_t g_part[N];

static int setup(void **state)
{
    (void)state;
    return rdm_start(&g_rk, &g_mc, "pm", NPARTS);
}

static int teardown(void **state)
{
    (void)state;
    rdm_stop(g_rk, g_mc);
    return 0;
}

static void on_dr(sl_producer_t *p, const sl_message_t *m, void *arg)
{
    (void)p;
    (void)arg;
    int i = (int)(intptr_t)m->opaque;
    if (m->err == SL_OK)
        g_ok++;
    else
        g_failed++;
    if (i >= 0 && i < N)
        g_part[i] = m->partition;
}

/* Reads every partition from the start with a librdkafka consumer until
 * each reports its end; counts how often each record came. */
static void read_back(int *seen)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(g_mc), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "unused", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    assert_non_null(c);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(NPARTS);
    for (int p = 0; p < NPARTS; p++)
        rd_kafka_topic_partition_list_add(parts, "pm", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(c, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(parts);
    int eof = 0;
    /* Bounded: at most 300 empty polls of 100 ms, and the records are finite. */
    for (int idle = 0, got = 0; idle < 300 && eof < NPARTS && got < 4 * N;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m) {
            idle++;
            continue;
        }
        got++;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eof++;
        } else if (m->err) {
            fail_msg("consumer: %s", rd_kafka_message_errstr(m));
        } else {
            char v[32];
            size_t n = m->len < sizeof(v) - 1 ? m->len : sizeof(v) - 1;
            memcpy(v, m->payload, n);
            v[n] = '\0';
            int i = atoi(v + 2);
            assert_true(i >= 0 && i < N);
            seen[i]++;
            assert_int_equal(m->partition, g_part[i]);
        }
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(eof, NPARTS);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
}

static void keyed_records_survive_leader_moves_and_errors(void **state)
{
    (void)state;
    char err[256];
    sl_conf_t *conf = sl_conf_new();
    const char *kv[] = {"bootstrap.servers", rd_kafka_mock_cluster_bootstraps(g_mc), "retry.backoff.ms", "20",
                        "reconnect.backoff.ms", "20", "linger.ms", "2", "batch.size", "2000", NULL};
    for (size_t i = 0; kv[i]; i += 2)
        assert_int_equal(sl_conf_set(conf, kv[i], kv[i + 1], err, sizeof err), SL_OK);
    sl_producer_t *p = NULL;
    assert_int_equal(sl_producer_new(conf, on_dr, NULL, &p, err, sizeof err), SL_OK);
    sl_conf_free(conf);
    for (int i = 0; i < N; i++) {
        if (i == N / 4)
            rd_kafka_mock_push_request_errors(g_mc, 0 /* Produce */, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                              RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                              RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
        if (i == N / 2)
            for (int part = 0; part < NPARTS; part++)
                rd_kafka_mock_partition_set_leader(g_mc, "pm", part, (part + 1) % 3 + 1);
        char k[16], v[16];
        int kl = snprintf(k, sizeof k, "k%d", i);
        int vl = snprintf(v, sizeof v, "v-%d", i);
        sl_produce_rec_t rec = {.topic = "pm", .partition = SL_PARTITION_ANY, .key = k, .key_len = kl,
                                .value = v, .value_len = vl, .opaque = (void *)(intptr_t)i};
        assert_int_equal(sl_producer_send(p, &rec), SL_OK);
        sl_producer_poll(p, 0);
    }
    assert_int_equal(sl_producer_flush(p, 60000), SL_OK);
    assert_int_equal(g_ok, N);
    assert_int_equal(g_failed, 0);
    sl_producer_free(p);
    for (int i = 0; i < N; i++) {
        char k[16];
        int kl = snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(g_part[i], rd_kafka_msg_partitioner_murmur2(NULL, k, (size_t)kl, NPARTS, NULL, NULL));
    }
    static int seen[N];
    read_back(seen);
    for (int i = 0; i < N; i++)
        if (seen[i] != 1)
            fail_msg("record %d read %d times", i, seen[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyed_records_survive_leader_moves_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
