/*
 * broker_latency.c - end-to-end latency at a fixed rate: a producer sends
 * o->rate messages per second (paced in 1 ms steps, round-robin over
 * partitions 0..n-1, acks o->acks, linger.ms 1 unless -L says otherwise), each
 * carrying its send time (monotonic clock) in its first bytes; a consumer in
 * the same process (its own thread, assigned partitions, no group) notes when
 * librdkafka hands it each message. Latency is receive time minus send time:
 * producer queueing and batching, the broker's produce and fetch paths, and
 * the consumer's fetch, all included.
 *
 * Before measuring, one message per partition must make the round trip (so
 * connections and fetch positions are set up), then 0.5 s of warm-up at the
 * rate is not counted. Messages from other runs in the same topic are told
 * apart by a run number and ignored.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker_int.h"

#define LAT_MAGIC 0x534c4c4154454e43ull /* "SLLATENC" */
#define LAT_WARMUP_NS 500000000LL
#define LAT_MAX_SAMPLES (32u << 20)

enum { LAT_HELLO = 1, LAT_WARMUP = 2, LAT_MEASURED = 3 };

typedef struct lat_hdr {
    uint64_t magic, run, kind;
    int64_t sent_ns;
} lat_hdr_t;

typedef struct lat_state {
    const bb_opts_t *o;
    rd_kafka_queue_t *q;
    uint64_t run;
    atomic_int stop;
    atomic_int hellos;
    atomic_uint_fast64_t received;  /* measured messages */
    int64_t *lat;                   /* consumer thread only until joined */
    size_t n_lat, cap;
    uint64_t errors;
    uint64_t dr_failed;             /* producer side, main thread */
} lat_state_t;

/* Called for each message as soon as the queue holds it (the batch call
 * would wait for a full batch or its timeout, adding that to the latency). */
static void on_message(rd_kafka_message_t *m, void *opaque)
{
    lat_state_t *st = opaque;
    int64_t now = sl_time_mono_ns();
    lat_hdr_t h;
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !st->errors++)
            fprintf(stderr, "bench_broker latency: consume: %s\n", rd_kafka_message_errstr(m));
    } else if (m->len >= sizeof h) {
        memcpy(&h, m->payload, sizeof h);
        if (h.magic == LAT_MAGIC && h.run == st->run) {
            if (h.kind == LAT_HELLO) {
                atomic_fetch_add(&st->hellos, 1);
            } else if (h.kind == LAT_MEASURED) {
                if (st->n_lat < st->cap)
                    st->lat[st->n_lat++] = now - h.sent_ns;
                atomic_fetch_add(&st->received, 1);
            }
        }
    }
}

static void *consumer_main(void *arg)
{
    lat_state_t *st = arg;
    while (!atomic_load(&st->stop))
        rd_kafka_consume_callback_queue(st->q, 10, on_message, st);
    return NULL;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    lat_state_t *st = opaque;
    if (m->err && !st->dr_failed++)
        fprintf(stderr, "bench_broker latency: delivery: %s\n", rd_kafka_err2str(m->err));
}

/* Sends one message; waits on a full queue. 0 or -1. */
static int send_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t part, uint8_t *payload, size_t size,
                    lat_hdr_t *h, uint64_t *queue_full)
{
    for (;;) {
        h->sent_ns = sl_time_mono_ns();
        memcpy(payload, h, sizeof *h);
        if (rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL) == 0)
            return 0;
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "bench_broker latency: produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            return -1;
        }
        (*queue_full)++;
        rd_kafka_poll(rk, 1);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(const int64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

static void wait_until(int64_t t)
{
    struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

int bb_latency(const bb_opts_t *o)
{
    if (o->size < (int)sizeof(lat_hdr_t)) {
        fprintf(stderr, "bench_broker latency: --size must be at least %zu\n", sizeof(lat_hdr_t));
        return 2;
    }
    lat_state_t st = {.o = o, .run = (uint64_t)sl_time_wall_ms() ^ ((uint64_t)getpid() << 40)};
    double want = o->rate * o->seconds * 1.2 + 4096;
    st.cap = want < LAT_MAX_SAMPLES ? (size_t)want : LAT_MAX_SAMPLES;
    st.lat = malloc(st.cap * sizeof *st.lat);
    uint8_t *payload = malloc((size_t)o->size);
    if (!st.lat || !payload)
        return 1;
    bb_fill_payload(payload, (size_t)o->size);

    char acks[32], linger[32];
    snprintf(acks, sizeof acks, "acks=%s", o->acks);
    snprintf(linger, sizeof linger, "linger.ms=%d", o->linger_ms < 0 ? 1 : o->linger_ms);
    const char *pextra[] = {acks, linger, "message.timeout.ms=30000"};
    rd_kafka_conf_t *pconf = bb_conf_new(o, pextra, (int)SL_ARRAY_LEN(pextra));
    rd_kafka_conf_set_opaque(pconf, &st);
    rd_kafka_conf_set_dr_msg_cb(pconf, on_delivery);
    rd_kafka_t *prk = bb_client_new(RD_KAFKA_PRODUCER, pconf);
    if (bb_topic_prepare(prk, o) != 0) {
        rd_kafka_destroy(prk);
        return 1;
    }
    rd_kafka_t *crk = bb_client_new(RD_KAFKA_CONSUMER, bb_conf_new(o, NULL, 0));
    rd_kafka_topic_t *prkt = rd_kafka_topic_new(prk, o->topic, NULL);
    rd_kafka_topic_t *crkt = rd_kafka_topic_new(crk, o->topic, NULL);
    st.q = rd_kafka_queue_new(crk);
    for (int32_t p = 0; p < o->partitions; p++) {
        if (rd_kafka_consume_start_queue(crkt, p, RD_KAFKA_OFFSET_BEGINNING, st.q) == -1) {
            fprintf(stderr, "bench_broker latency: start %s [%d]: %s\n", o->topic, (int)p,
                    rd_kafka_err2str(rd_kafka_last_error()));
            return 1;
        }
    }
    pthread_t th;
    if (pthread_create(&th, NULL, consumer_main, &st) != 0)
        return 1;

    int rc = 0;
    uint64_t queue_full = 0, sent = 0, measured = 0;
    lat_hdr_t h = {.magic = LAT_MAGIC, .run = st.run, .kind = LAT_HELLO};
    for (int32_t p = 0; p < o->partitions && rc == 0; p++)
        rc = send_one(prk, prkt, p, payload, (size_t)o->size, &h, &queue_full);
    rd_kafka_flush(prk, 10000);
    int64_t deadline = sl_time_mono_ns() + 15 * (int64_t)1000000000;
    while (rc == 0 && atomic_load(&st.hellos) < o->partitions) {
        if (sl_time_mono_ns() > deadline) {
            fprintf(stderr, "bench_broker latency: first messages not back after 15 s (%d of %d)\n",
                    atomic_load(&st.hellos), o->partitions);
            rc = -1;
        }
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }

    bb_clock_t clk;
    bb_clock_start(&clk);
    int64_t t_start = sl_time_mono_ns(), warm_end = t_start + LAT_WARMUP_NS;
    int64_t meas_end = warm_end + (int64_t)(o->seconds * 1e9), tick = t_start;
    while (rc == 0) {
        int64_t now = sl_time_mono_ns();
        if (now >= meas_end)
            break;
        uint64_t due = (uint64_t)((double)(now - t_start) * o->rate / 1e9);
        h.kind = now < warm_end ? LAT_WARMUP : LAT_MEASURED;
        while (rc == 0 && sent < due) {
            rc = send_one(prk, prkt, (int32_t)(sent % (uint64_t)o->partitions), payload, (size_t)o->size, &h,
                          &queue_full);
            sent++;
            measured += h.kind == LAT_MEASURED;
        }
        rd_kafka_poll(prk, 0);
        tick += 1000000;
        if (tick > now)
            wait_until(tick);
        else
            tick = now;
    }
    double cores = bb_clock_cores(&clk);
    rd_kafka_flush(prk, 30000);
    deadline = sl_time_mono_ns() + 10 * (int64_t)1000000000;
    while (atomic_load(&st.received) < measured && sl_time_mono_ns() < deadline)
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    atomic_store(&st.stop, 1);
    pthread_join(th, NULL);
    for (int32_t p = 0; p < o->partitions; p++)
        rd_kafka_consume_stop(crkt, p);

    uint64_t received = atomic_load(&st.received);
    qsort(st.lat, st.n_lat, sizeof *st.lat, cmp_i64);
    double mean = 0;
    for (size_t i = 0; i < st.n_lat; i++)
        mean += (double)st.lat[i];
    mean = st.n_lat ? mean / (double)st.n_lat / 1e6 : 0;
    bb_result(o, "latency",
              "rate=%.0f achieved=%.0f sent=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64
              " p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f queue_full=%" PRIu64
              " client_cores=%.2f",
              o->rate, (double)measured / o->seconds, measured, received,
              measured > received ? measured - received : 0, pct_ms(st.lat, st.n_lat, 0.50),
              pct_ms(st.lat, st.n_lat, 0.90), pct_ms(st.lat, st.n_lat, 0.99), pct_ms(st.lat, st.n_lat, 0.999),
              st.n_lat ? (double)st.lat[st.n_lat - 1] / 1e6 : 0, mean, queue_full, cores);

    rd_kafka_queue_destroy(st.q);
    rd_kafka_topic_destroy(crkt);
    rd_kafka_topic_destroy(prkt);
    rd_kafka_destroy(crk);
    rd_kafka_destroy(prk);
    free(payload);
    free(st.lat);
    return rc != 0 || received < measured || st.dr_failed ? 1 : 0;
}
