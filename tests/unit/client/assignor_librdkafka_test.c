/* assignor_librdkafka_test.c - range and roundrobin agree with librdkafka's:
 * consumers of librdkafka 2.0 with uneven subscriptions form a group on
 * librdkafka's mock cluster (in process), their leader assigns, and our
 * assignor, given the same members and topics, must hand every member
 * exactly what it got.
 *
 * Dynamic members only: with static members (group.instance.id) in this
 * set-up, librdkafka's leader orders them as it does dynamic ones (by
 * member id; whether the mock coordinator or librdkafka 2.0.2 causes it is
 * not determined), where the Java client, and so Sluice, orders them by
 * instance id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "assignor_util.h"

#define NC 4

static const char *const subs[NC] = {"t1,t2,t3", "t1,t2", "t1,t3", "t1,t2,t3"};
static const sl_asg_topic_t topics[] = {{"t1", 7}, {"t2", 5}, {"t3", 3}};
#define ASSIGNABLE 15

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[256];
    assert_int_equal(rd_kafka_conf_set(conf, k, v, err, sizeof err), RD_KAFKA_CONF_OK);
}

static rd_kafka_t *consumer(const char *boot, const char *strategy, const char *group, int i)
{
    char err[256], buf[64];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", boot);
    set(conf, "group.id", group);
    set(conf, "partition.assignment.strategy", strategy);
    set(conf, "session.timeout.ms", "6000");
    set(conf, "heartbeat.interval.ms", "300");
    set(conf, "log_level", "3");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    assert_non_null(rk);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(3);
    snprintf(buf, sizeof buf, "%s", subs[i]);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        rd_kafka_topic_partition_list_add(l, t, RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    return rk;
}

static int assigned(rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    int n = a->cnt;
    rd_kafka_topic_partition_list_destroy(a);
    return n;
}

static void agree(const char *strategy, const sl_assignor_t *ours)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "log_level", "3");
    rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(host);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(host, 1);
    assert_non_null(mc);
    for (size_t t = 0; t < SL_ARRAY_LEN(topics); t++)
        assert_int_equal(rd_kafka_mock_topic_create(mc, topics[t].name, topics[t].partitions, 1), 0);
    const char *boot = rd_kafka_mock_cluster_bootstraps(mc);

    rd_kafka_t *c[NC];
    for (int i = 0; i < NC; i++)
        c[i] = consumer(boot, strategy, strategy, i);
    /* until every partition is assigned and every member has some (all
     * four are in the generation: each subscribes to t1's 7 partitions),
     * unchanged over 10 rounds of polls; at most about 30 s */
    int stable = 0;
    for (int round = 0; round < 750 && stable < 10; round++) {
        int total = 0;
        bool everyone = true;
        for (int i = 0; i < NC; i++) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(c[i], 10);
            if (m)
                rd_kafka_message_destroy(m);
            int n = assigned(c[i]);
            total += n;
            everyone = everyone && n > 0;
        }
        stable = total == ASSIGNABLE && everyone ? stable + 1 : 0;
    }
    assert_int_equal(stable, 10);

    tgroup_t g;
    tg_init(&g);
    for (size_t t = 0; t < SL_ARRAY_LEN(topics); t++)
        tg_topic(&g, topics[t].name, topics[t].partitions);
    for (int i = 0; i < NC; i++) {
        char *mid = rd_kafka_memberid(c[i]);
        assert_non_null(mid);
        tg_member(&g, mid, NULL, subs[i]);
        rd_kafka_mem_free(c[i], mid);
    }
    tg_assign(&g, ours);
    for (int i = 0; i < NC; i++) {
        rd_kafka_topic_partition_list_t *a = NULL;
        assert_int_equal(rd_kafka_assignment(c[i], &a), 0);
        char theirs[512] = "", mine[512];
        size_t k = 0;
        rd_kafka_topic_partition_list_sort(a, NULL, NULL);
        for (int j = 0; j < a->cnt && k < sizeof theirs; j++)
            k += (size_t)snprintf(theirs + k, sizeof theirs - k, "%s%s-%d", j ? "," : "", a->elems[j].topic,
                                  (int)a->elems[j].partition);
        rd_kafka_topic_partition_list_destroy(a);
        print_message("%s member %d: %s\n", strategy, i, theirs);
        assert_string_equal(tg_str(&g, (size_t)i, mine, sizeof mine), theirs);
    }
    tg_fini(&g);
    for (int i = 0; i < NC; i++) {
        rd_kafka_consumer_close(c[i]);
        rd_kafka_destroy(c[i]);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(host);
}

static void range_agrees(void **state)
{
    (void)state;
    agree("range", &sl_assignor_range);
}

static void roundrobin_agrees(void **state)
{
    (void)state;
    agree("roundrobin", &sl_assignor_roundrobin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(range_agrees),
        cmocka_unit_test(roundrobin_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
