/*
 * broker_produce.c - produce throughput: one producer sends messages of
 * o->size bytes (no key, incompressible payload, no compression) round-robin
 * over partitions 0..n-1 as fast as librdkafka takes them for o->seconds, then
 * waits for every delivery report. The rate is delivered messages over the
 * time from the first send to the last delivery report, so nothing is counted
 * before the broker acknowledged it.
 *
 * librdkafka's own defaults are kept (linger.ms 5, batches up to 10,000
 * messages or 1 MB, 100,000 messages queued) except acks (o->acks) and
 * Nagle; its statistics give the mean batch the broker received, which
 * bench/run.sh hands to the disk probe.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "broker_int.h"

typedef struct prod_state {
    const char *topic;
    uint64_t ok, failed;
    rd_kafka_resp_err_t first_err;
    int64_t last_dr_ns;
    double batch_bytes_sum, batch_bytes_cnt; /* per-partition batches, from statistics */
    double batch_msgs_sum, batch_msgs_cnt;
    double rtt_us_sum, rtt_cnt;              /* broker request round trips */
} prod_state_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    prod_state_t *st = opaque;
    if (m->err) {
        if (!st->failed++)
            st->first_err = m->err;
    } else {
        st->ok++;
    }
    st->last_dr_ns = sl_time_mono_ns();
}

static void add_window(json_t *w, double *sum, double *cnt)
{
    json_t *s = json_object_get(w, "sum"), *c = json_object_get(w, "cnt");
    if (json_is_number(s) && json_is_number(c)) {
        *sum += json_number_value(s);
        *cnt += json_number_value(c);
    }
}

/* Statistics windows reset every interval, so summing each window's sum and
 * count gives the mean over the whole run (less the last partial window). */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    prod_state_t *st = opaque;
    json_t *root = json_loadb(json, len, 0, NULL);
    if (!root)
        return 0;
    json_t *t = json_object_get(json_object_get(root, "topics"), st->topic);
    add_window(json_object_get(t, "batchsize"), &st->batch_bytes_sum, &st->batch_bytes_cnt);
    add_window(json_object_get(t, "batchcnt"), &st->batch_msgs_sum, &st->batch_msgs_cnt);
    const char *name;
    json_t *b;
    json_object_foreach(json_object_get(root, "brokers"), name, b) {
        json_t *nodeid = json_object_get(b, "nodeid");
        if (json_is_integer(nodeid) && json_integer_value(nodeid) >= 0)
            add_window(json_object_get(b, "rtt"), &st->rtt_us_sum, &st->rtt_cnt);
    }
    json_decref(root);
    return 0;
}

int bb_produce(const bb_opts_t *o)
{
    prod_state_t st = {.topic = o->topic};
    char acks[32], linger[32];
    snprintf(acks, sizeof acks, "acks=%s", o->acks);
    snprintf(linger, sizeof linger, "linger.ms=%d", o->linger_ms < 0 ? 5 : o->linger_ms);
    /* A broker that stops answering fails the run in 30 s, not librdkafka's 300. */
    const char *extra[] = {acks, linger, "statistics.interval.ms=500", "message.timeout.ms=30000"};
    rd_kafka_conf_t *conf = bb_conf_new(o, extra, (int)SL_ARRAY_LEN(extra));
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    rd_kafka_t *rk = bb_client_new(RD_KAFKA_PRODUCER, conf);
    if (bb_topic_prepare(rk, o) != 0) {
        rd_kafka_destroy(rk);
        return 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    uint8_t *payload = malloc((size_t)o->size);
    if (!payload)
        return 1;
    bb_fill_payload(payload, (size_t)o->size);

    /* Statistics windows before the first send must not count. */
    rd_kafka_poll(rk, 0);
    st.batch_bytes_sum = st.batch_bytes_cnt = st.batch_msgs_sum = st.batch_msgs_cnt = 0;
    st.rtt_us_sum = st.rtt_cnt = 0;

    uint64_t sent = 0, queue_full = 0;
    bb_clock_t clk;
    bb_clock_start(&clk);
    int64_t t0 = sl_time_mono_ns(), end = t0 + (int64_t)(o->seconds * 1e9);
    int fatal = 0;
    while (!fatal && sl_time_mono_ns() < end) {
        for (int k = 0; k < 1024; k++) {
            int32_t part = (int32_t)(sent % (uint64_t)o->partitions);
            while (rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY, payload, (size_t)o->size, NULL, 0,
                                    NULL) == -1) {
                rd_kafka_resp_err_t err = rd_kafka_last_error();
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                    fprintf(stderr, "bench_broker produce: %s\n", rd_kafka_err2str(err));
                    fatal = 1;
                    break;
                }
                queue_full++;
                rd_kafka_poll(rk, 1);
            }
            if (fatal)
                break;
            sent++;
        }
        rd_kafka_poll(rk, 0);
    }
    int64_t t_sent = sl_time_mono_ns();
    rd_kafka_resp_err_t ferr = rd_kafka_flush(rk, 60000);
    double cores = bb_clock_cores(&clk);
    if (ferr)
        fprintf(stderr, "bench_broker produce: flush: %s (%d messages undelivered)\n", rd_kafka_err2str(ferr),
                rd_kafka_outq_len(rk));
    if (st.failed)
        fprintf(stderr, "bench_broker produce: %" PRIu64 " messages failed, first: %s\n", st.failed,
                rd_kafka_err2str(st.first_err));

    double secs = st.ok ? (double)(st.last_dr_ns - t0) / 1e9 : (double)(t_sent - t0) / 1e9;
    double msg_s = (double)st.ok / secs;
    double bmsgs = st.batch_msgs_cnt > 0 ? st.batch_msgs_sum / st.batch_msgs_cnt : 0;
    double bbytes = st.batch_bytes_cnt > 0 ? st.batch_bytes_sum / st.batch_bytes_cnt : 0;
    double rtt_ms = st.rtt_cnt > 0 ? st.rtt_us_sum / st.rtt_cnt / 1000 : 0;
    bb_result(o, "produce",
              "msgs=%" PRIu64 " failed=%" PRIu64 " seconds=%.3f msg_s=%.0f mb_s=%.2f batch_msgs=%.1f "
              "batch_bytes=%.0f rtt_ms=%.3f queue_full=%" PRIu64 " client_cores=%.2f",
              st.ok, st.failed + (uint64_t)rd_kafka_outq_len(rk), secs, msg_s,
              msg_s * o->size / 1e6, bmsgs, bbytes, rtt_ms, queue_full, cores);
    free(payload);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return st.ok == 0 || st.failed > 0 || fatal ? 1 : 0;
}
