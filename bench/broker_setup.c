/*
 * broker_setup.c - the driver's shared librdkafka set-up: client
 * configuration, topic creation through the Admin API, waiting until every
 * partition used has a leader, and the result line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "broker_int.h"

void bb_result(const bb_opts_t *o, const char *mode, const char *fmt, ...)
{
    printf("result label=%s mode=%s topic=%s size=%d partitions=%d acks=%s ", o->label, mode,
           o->topic, o->size, o->partitions, o->acks);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void conf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "bench_broker: %s=%s: %s\n", name, value, errstr);
        exit(2);
    }
}

static void conf_set_kv(rd_kafka_conf_t *conf, const char *kv)
{
    char name[256];
    const char *eq = strchr(kv, '=');
    if (!eq || (size_t)(eq - kv) >= sizeof name) {
        fprintf(stderr, "bench_broker: want name=value, got '%s'\n", kv);
        exit(2);
    }
    memcpy(name, kv, (size_t)(eq - kv));
    name[eq - kv] = '\0';
    conf_set(conf, name, eq + 1);
}

rd_kafka_conf_t *bb_conf_new(const bb_opts_t *o, const char *const *extra, int n_extra)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", o->bootstrap);
    conf_set(conf, "client.id", "sluice-bench");
    /* Every Kafka client worth measuring disables Nagle (the Java client does
     * by default); librdkafka 2.0 does not, which would add delayed-ACK stalls
     * to small requests in the latency run. */
    conf_set(conf, "socket.nagle.disable", "true");
    for (int i = 0; i < n_extra; i++)
        conf_set_kv(conf, extra[i]);
    for (int i = 0; i < o->n_client_cfg; i++)
        conf_set_kv(conf, o->client_cfg[i]);
    return conf;
}

rd_kafka_t *bb_client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "bench_broker: rd_kafka_new: %s\n", errstr);
        exit(1);
    }
    return rk;
}

static int topic_create(rd_kafka_t *rk, const bb_opts_t *o)
{
    char errstr[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(o->topic, o->partitions, 1, errstr, sizeof errstr);
    if (!nt) {
        fprintf(stderr, "bench_broker: topic %s: %s\n", o->topic, errstr);
        return -1;
    }
    for (int i = 0; i < o->n_topic_cfg; i++) {
        char name[256];
        const char *kv = o->topic_cfg[i], *eq = strchr(kv, '=');
        size_t nl = (size_t)(eq - kv);
        if (nl >= sizeof name) {
            rd_kafka_NewTopic_destroy(nt);
            return -1;
        }
        memcpy(name, kv, nl);
        name[nl] = '\0';
        rd_kafka_NewTopic_set_config(nt, name, eq + 1);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(ao, 15000, errstr, sizeof errstr);
    rd_kafka_AdminOptions_set_operation_timeout(ao, 10000, errstr, sizeof errstr);
    rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 20000);
    int rc = 0;
    if (!ev) {
        fprintf(stderr, "bench_broker: CreateTopics %s: no answer in 20 s\n", o->topic);
        rc = -1;
    } else if (rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE) {
        fprintf(stderr, "bench_broker: %s does not take CreateTopics; topic %s left to auto-creation%s\n",
                o->label, o->topic, o->n_topic_cfg ? " WITHOUT its configs" : "");
    } else if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "bench_broker: CreateTopics %s: %s\n", o->topic, rd_kafka_event_error_string(ev));
        rc = -1;
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        rd_kafka_resp_err_t err = cnt == 1 ? rd_kafka_topic_result_error(tr[0]) : RD_KAFKA_RESP_ERR__FAIL;
        if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            fprintf(stderr, "bench_broker: topic %s exists already; its configs are left as they are\n",
                    o->topic);
        } else if (err) {
            fprintf(stderr, "bench_broker: CreateTopics %s: %s: %s\n", o->topic, rd_kafka_err2name(err),
                    cnt == 1 && rd_kafka_topic_result_error_string(tr[0])
                        ? rd_kafka_topic_result_error_string(tr[0]) : "");
            rc = -1;
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

/* 1: every partition used has a leader; 0: not yet. *have gets the count. */
static int topic_ready(const rd_kafka_metadata_t *md, int want, int *have)
{
    *have = 0;
    if (md->topic_cnt != 1 || md->topics[0].err)
        return 0;
    const rd_kafka_metadata_topic_t *t = &md->topics[0];
    *have = t->partition_cnt;
    if (t->partition_cnt < want)
        return 0;
    for (int i = 0; i < t->partition_cnt; i++)
        if (t->partitions[i].id < want && (t->partitions[i].err || t->partitions[i].leader < 0))
            return 0;
    return 1;
}

int bb_topic_prepare(rd_kafka_t *rk, const bb_opts_t *o)
{
    if (o->create && topic_create(rk, o) != 0)
        return -1;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    int64_t deadline = sl_time_mono_ns() + 15 * (int64_t)1000000000;
    int have = 0, ready = 0;
    while (!ready && sl_time_mono_ns() < deadline) {
        const rd_kafka_metadata_t *md;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ready = topic_ready(md, o->partitions, &have);
            rd_kafka_metadata_destroy(md);
        }
        if (!ready)
            nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
    }
    rd_kafka_topic_destroy(rkt);
    if (!ready) {
        fprintf(stderr, "bench_broker: topic %s on %s: %d partitions with leaders after 15 s, want %d\n",
                o->topic, o->label, have, o->partitions);
        return -1;
    }
    if (have > o->partitions)
        fprintf(stderr, "bench_broker: topic %s has %d partitions; using 0..%d\n", o->topic, have,
                o->partitions - 1);
    return 0;
}

void bb_fill_payload(uint8_t *buf, size_t n)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

void bb_clock_start(bb_clock_t *c)
{
    c->wall_ns = sl_time_mono_ns();
    c->cpu_s = cpu_now();
}

double bb_clock_cores(const bb_clock_t *c)
{
    double wall = (double)(sl_time_mono_ns() - c->wall_ns) / 1e9;
    return wall > 0 ? (cpu_now() - c->cpu_s) / wall : 0;
}
