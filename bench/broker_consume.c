/*
 * broker_consume.c - consume throughput: partitions 0..n-1 of a topic filled
 * beforehand (by the produce run) are read from the beginning with assigned
 * partitions and no consumer group (librdkafka's queue consumer), for
 * o->seconds. When every partition has reached its end before the time is up,
 * each is sought back to the beginning and read again, so a small topic still
 * gives a measurement of the full duration. The rate is payload bytes over the
 * time from starting the partitions to the last message received.
 *
 * Fetch settings are librdkafka's defaults (up to 1 MiB per partition and
 * 50 MiB per request, 64 MiB queued ahead) except fetch.wait.max.ms, 10 ms
 * instead of 500, which only matters at the end of each pass.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "broker_int.h"

typedef struct cons_state {
    const bb_opts_t *o;
    bool *eof;               /* per partition: end reached in this pass */
    int n_eof;
    uint64_t msgs, bytes, errors;
    int64_t t_last;
} cons_state_t;

/* Called for each message the queue holds, without waiting for more (the
 * batch call would wait for a full batch, stalling at each end of a pass). */
static void on_message(rd_kafka_message_t *m, void *opaque)
{
    cons_state_t *st = opaque;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (m->partition >= 0 && m->partition < st->o->partitions && !st->eof[m->partition]) {
            st->eof[m->partition] = true;
            st->n_eof++;
        }
    } else if (m->err) {
        if (!st->errors++)
            fprintf(stderr, "bench_broker consume: %s [%d]: %s\n", st->o->topic, (int)m->partition,
                    rd_kafka_message_errstr(m));
    } else {
        st->msgs++;
        st->bytes += m->len;
        st->t_last = sl_time_mono_ns();
    }
}

int bb_consume(const bb_opts_t *o)
{
    /* A fetch at the end of the log waits fetch.wait.max.ms at the broker, and
     * the seek back to the start waits for that fetch: keep it short. */
    const char *extra[] = {"enable.partition.eof=true", "fetch.wait.max.ms=10"};
    rd_kafka_conf_t *conf = bb_conf_new(o, extra, (int)SL_ARRAY_LEN(extra));
    rd_kafka_t *rk = bb_client_new(RD_KAFKA_CONSUMER, conf);
    if (bb_topic_prepare(rk, o) != 0) {
        rd_kafka_destroy(rk);
        return 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    bool *eof = calloc((size_t)o->partitions, sizeof *eof);
    if (!eof)
        return 1;

    cons_state_t st = {.o = o, .eof = eof};
    int passes = 1;
    bb_clock_t clk;
    bb_clock_start(&clk);
    int64_t t0 = sl_time_mono_ns(), end = t0 + (int64_t)(o->seconds * 1e9);
    st.t_last = t0;
    for (int32_t p = 0; p < o->partitions; p++) {
        if (rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, q) == -1) {
            fprintf(stderr, "bench_broker consume: start %s [%d]: %s\n", o->topic, (int)p,
                    rd_kafka_err2str(rd_kafka_last_error()));
            return 1;
        }
    }
    while (sl_time_mono_ns() < end) {
        rd_kafka_consume_callback_queue(q, 100, on_message, &st);
        if (st.n_eof == o->partitions) {
            /* Everything read: go round again from the start. */
            for (int32_t p = 0; p < o->partitions; p++) {
                rd_kafka_resp_err_t err = rd_kafka_seek(rkt, p, RD_KAFKA_OFFSET_BEGINNING, 5000);
                if (err)
                    fprintf(stderr, "bench_broker consume: seek %s [%d]: %s\n", o->topic, (int)p,
                            rd_kafka_err2str(err));
                eof[p] = false;
            }
            st.n_eof = 0;
            passes++;
        }
    }
    double cores = bb_clock_cores(&clk);
    for (int32_t p = 0; p < o->partitions; p++)
        rd_kafka_consume_stop(rkt, p);

    uint64_t msgs = st.msgs, bytes = st.bytes, errors = st.errors;
    double secs = (double)(st.t_last - t0) / 1e9;
    bb_opts_t shown = *o;
    shown.size = msgs ? (int)(bytes / msgs) : 0;
    bb_result(&shown, "consume",
              "msgs=%" PRIu64 " bytes=%" PRIu64 " errors=%" PRIu64 " seconds=%.3f msg_s=%.0f mb_s=%.2f passes=%d"
              " client_cores=%.2f",
              msgs, bytes, errors, secs, secs > 0 ? (double)msgs / secs : 0,
              secs > 0 ? (double)bytes / secs / 1e6 : 0, passes, cores);
    free(eof);
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return msgs == 0 || errors ? 1 : 0;
}
