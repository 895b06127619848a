/*
 * group_commit.c - synchronous offset commits: one consumer in a group of
 * its own reads a topic filled beforehand (by bench_broker's produce run)
 * from the start and commits after every message with
 * rd_kafka_commit_message(async=0), the slowest and safest way a consumer
 * keeps its place. The rate is commits over the time from the first message
 * to the end of o->seconds; each commit's wait is noted for p50/p99.
 *
 * Joining the group (the broker's group.initial.rebalance.delay.ms) is not
 * timed. The group id is new on every run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "group_int.h"

enum { JOIN_TIMEOUT_S = 30 };

int gb_commit(const gb_opts_t *o)
{
    char group_kv[160];
    snprintf(group_kv, sizeof group_kv, "group.id=bench-commit-%d-%" PRId64, (int)getpid(), sl_time_wall_ms());
    const char *extra[] = {group_kv, "enable.auto.commit=false", "auto.offset.reset=earliest"};
    rd_kafka_t *rk = bb_client_new(RD_KAFKA_CONSUMER, bb_conf_new(&o->bb, extra, (int)SL_ARRAY_LEN(extra)));
    rd_kafka_poll_set_consumer(rk);
    if (bb_topic_prepare(rk, &o->bb) != 0) {
        rd_kafka_destroy(rk);
        return 1;
    }
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, o->bb.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        fprintf(stderr, "bench_group commit: subscribe: %s\n", rd_kafka_err2str(err));
        rd_kafka_destroy(rk);
        return 1;
    }

    size_t cap = 1 << 16, n = 0;
    double *wait_us = malloc(cap * sizeof *wait_us);
    uint64_t errors = 0;
    int64_t t0 = 0, end = 0, join_deadline = sl_time_mono_ns() + JOIN_TIMEOUT_S * (int64_t)1000000000;
    bb_clock_t clk = {0, 0};
    while (wait_us) {
        int64_t now = sl_time_mono_ns();
        if (t0 ? now >= end : now >= join_deadline)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !errors++)
                fprintf(stderr, "bench_group commit: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        if (!t0) {
            t0 = sl_time_mono_ns();
            end = t0 + (int64_t)(o->bb.seconds * 1e9);
            bb_clock_start(&clk);
        }
        int64_t c0 = sl_time_mono_ns();
        err = rd_kafka_commit_message(rk, m, 0);
        int64_t c1 = sl_time_mono_ns();
        rd_kafka_message_destroy(m);
        if (err) {
            if (!errors++)
                fprintf(stderr, "bench_group commit: commit: %s\n", rd_kafka_err2str(err));
            continue;
        }
        if (n == cap) {
            double *bigger = realloc(wait_us, 2 * cap * sizeof *wait_us);
            if (!bigger)
                break;
            wait_us = bigger;
            cap *= 2;
        }
        wait_us[n++] = (double)(c1 - c0) / 1e3;
    }
    double secs = t0 ? (double)(sl_time_mono_ns() - t0) / 1e9 : 0;
    double cores = t0 ? bb_clock_cores(&clk) : 0;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (!wait_us) {
        fprintf(stderr, "bench_group commit: out of memory\n");
        return 1;
    }
    if (!t0)
        fprintf(stderr, "bench_group commit: no message from %s in %d s\n", o->bb.topic, JOIN_TIMEOUT_S);
    double p50 = gb_quantile(wait_us, n, 0.5) / 1e3, p99 = gb_quantile(wait_us, n, 0.99) / 1e3;
    bb_opts_t shown = o->bb;
    shown.size = 0;
    bb_result(&shown, "commit",
              "commits=%zu errors=%" PRIu64 " seconds=%.3f commits_s=%.0f p50_ms=%.3f p99_ms=%.3f client_cores=%.2f",
              n, errors, secs, secs > 0 ? (double)n / secs : 0, p50, p99, cores);
    free(wait_us);
    return n == 0 || errors ? 1 : 0;
}
