/*
 * bench_client.c - Sluice's own client (client.h) against librdkafka in the
 * same run, on the same brokers and topic, with the same settings: produce
 * throughput of one producer sending o->size byte messages (no key,
 * incompressible, no compression) to partition 0 as fast as it takes them,
 * then consume throughput of one consumer reading the topic from the start
 * (assigned partition, no group), each message checked (the next offset,
 * the payload's size).
 *
 *   bench_client -b HOST:PORT -l LABEL -t TOPIC [-P HOST:PORT [-L LABEL]]
 *                [-f SECONDS] [-s BYTES] [-a ACKS] [-d SECONDS] [-r REPS] [-c]
 *                [-X name=value]... [-Y name=value]...
 *
 * -b is the broker the consumers read from. The produce runs go to -P (label
 * -L, default "mock"): a broker that is not itself the limit, such as the
 * in-memory peer_mock, so that the produce figures measure the clients, not
 * how fast a broker writes fresh page cache. -b is then filled first by
 * Sluice's producer for -f seconds (default three runs' worth; not a
 * figure, but every message must be delivered) with what the consume runs
 * read. Without -P the produce runs go to -b and the consume runs read what
 * they wrote.
 *
 * Both producers run with linger.ms=5, batch.size=1000000 (librdkafka's
 * defaults), max.in.flight.requests.per.connection=5 (the Java client's, and
 * the most idempotence allows), idempotence off (so acks=1 is allowed) and
 * the acks asked for; -X adds librdkafka properties, -Y Sluice client ones.
 * A produce rate counts delivered messages over the time from the first
 * send to the last delivery report. Runs alternate between the two clients
 * REPS times (default 3) and each figure is the median: first produce runs,
 * then consume runs, each reading the topic from the start for up to
 * o->seconds (the rate counts messages up to the last received).
 *
 * Every run prints a "result " line (key=value) for bench/run.sh, with
 * client=sluice or client=librdkafka and the label of the broker it ran
 * against; errors go to stderr and make the exit status 1.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_int.h"
#include "client.h"

#define BC_MAX_REPS 9
#define BC_MAX_CFG 16
#define BC_CLOCK_EVERY 64

/* Settings both clients get, before the user's own. */
static const char *const common_cfg[] = {"linger.ms=5", "batch.size=1000000",
                                         "max.in.flight.requests.per.connection=5",
                                         "enable.idempotence=false"};

typedef struct bc_run {
    uint64_t ok, failed;
    double seconds, cores;
} bc_run_t;

typedef struct bc_opts {
    bb_opts_t bb;             /* bootstrap, label: the broker consumers read */
    const char *prod_bootstrap, *prod_label; /* produce runs; NULL: bb's */
    double fill_seconds;      /* filling bb's topic when produce runs go elsewhere */
    int reps;
    const char *sl_cfg[BC_MAX_CFG];
    int n_sl_cfg;
} bc_opts_t;

static void print_run(const bc_opts_t *o, const char *mode, const char *client, const bc_run_t *r)
{
    double msg_s = r->seconds > 0 ? (double)r->ok / r->seconds : 0;
    bb_result(&o->bb, mode,
              "client=%s msgs=%" PRIu64 " failed=%" PRIu64 " seconds=%.3f msg_s=%.0f mb_s=%.2f cores=%.2f",
              client, r->ok, r->failed, r->seconds, msg_s, msg_s * o->bb.size / 1e6, r->cores);
}

/* Delivery reports of one produce run, either client (first_err is that
 * client's error code). The clock is read once per poll or flush call that
 * served reports, not once per report: at millions of reports a second the
 * reads would cost as much as a client's own work. */
typedef struct bc_dr {
    uint64_t ok, failed, seen;
    int first_err;
    int64_t last_ns;
} bc_dr_t;

static void dr_note(bc_dr_t *dr, int err)
{
    if (err) {
        if (!dr->failed++)
            dr->first_err = err;
    } else {
        dr->ok++;
    }
}

/* After a poll or flush: reports it served came by now. */
static void dr_tick(bc_dr_t *dr)
{
    if (dr->ok + dr->failed != dr->seen) {
        dr->seen = dr->ok + dr->failed;
        dr->last_ns = sl_time_mono_ns();
    }
}

/* A produce run's figures from its reports; undelivered count as failed. */
static void dr_result(const bc_dr_t *dr, uint64_t undelivered, int64_t t0, bc_run_t *r)
{
    r->ok = dr->ok;
    r->failed = dr->failed + undelivered;
    r->seconds = (double)(dr->last_ns - t0) / 1e9;
}

/* A producer's settings: common_cfg, acks (acks_buf holds it) and the
 * client's delivery timeout property. */
#define BC_PRODUCE_CFG (SL_ARRAY_LEN(common_cfg) + 2)
static void produce_cfg(const bc_opts_t *o, const char *timeout, char *acks_buf, size_t acks_len,
                        const char *extra[BC_PRODUCE_CFG])
{
    snprintf(acks_buf, acks_len, "acks=%s", o->bb.acks);
    memcpy(extra, common_cfg, sizeof(common_cfg));
    extra[SL_ARRAY_LEN(common_cfg)] = acks_buf;
    extra[SL_ARRAY_LEN(common_cfg) + 1] = timeout;
}

/* One client's producer for produce_loop: send gives 0 when the message
 * was taken, 1 when the queue is full (poll, then send again), -1 when it
 * failed (said on stderr); poll serves delivery reports (into dr) for up
 * to ms. */
typedef struct bc_sender {
    int (*send)(void *h);
    void (*poll)(void *h, int ms);
    void *h;
    bc_dr_t *dr;
} bc_sender_t;

/* Sends from t0 for o->bb.seconds as fast as the producer takes the
 * messages. 0, or -1 when a send failed. */
static int produce_loop(const bc_opts_t *o, const bc_sender_t *s, int64_t t0)
{
    int fatal = 0;
    int64_t end = t0 + (int64_t)(o->bb.seconds * 1e9);
    while (!fatal && sl_time_mono_ns() < end) {
        for (int k = 0; k < 1024 && !fatal; k++) {
            int rc;
            while ((rc = s->send(s->h)) == 1) {
                s->poll(s->h, 1);
                dr_tick(s->dr);
            }
            fatal = rc < 0;
        }
        s->poll(s->h, 0);
        dr_tick(s->dr);
    }
    return fatal ? -1 : 0;
}

/* ---- librdkafka ---------------------------------------------------------- */

typedef struct rd_prod {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    const uint8_t *payload;
    size_t size;
} rd_prod_t;

static int rd_send(void *h)
{
    rd_prod_t *rp = h;
    if (rd_kafka_produce(rp->rkt, 0, RD_KAFKA_MSG_F_COPY, (void *)rp->payload, rp->size, NULL, 0, NULL) != -1)
        return 0;
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return 1;
    fprintf(stderr, "bench_client: librdkafka produce: %s\n", rd_kafka_err2str(err));
    return -1;
}

static void rd_poll(void *h, int ms)
{
    rd_kafka_poll(((rd_prod_t *)h)->rk, ms);
}

static void rd_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    dr_note(opaque, m->err);
}

static int rd_produce(const bc_opts_t *o, const uint8_t *payload, bc_run_t *r)
{
    char acks[32];
    const char *extra[BC_PRODUCE_CFG];
    produce_cfg(o, "message.timeout.ms=60000", acks, sizeof acks, extra);
    bc_dr_t dr = {0};
    rd_kafka_conf_t *conf = bb_conf_new(&o->bb, extra, (int)SL_ARRAY_LEN(extra));
    rd_kafka_conf_set_opaque(conf, &dr);
    rd_kafka_conf_set_dr_msg_cb(conf, rd_on_delivery);
    rd_kafka_t *rk = bb_client_new(RD_KAFKA_PRODUCER, conf);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->bb.topic, NULL);
    rd_prod_t rp = {rk, rkt, payload, (size_t)o->bb.size};
    bc_sender_t sender = {rd_send, rd_poll, &rp, &dr};
    bb_clock_t clk;
    bb_clock_start(&clk);
    int64_t t0 = sl_time_mono_ns();
    int fatal = produce_loop(o, &sender, t0);
    if (rd_kafka_flush(rk, 60000))
        fprintf(stderr, "bench_client: librdkafka flush: %d undelivered\n", rd_kafka_outq_len(rk));
    dr_tick(&dr);
    r->cores = bb_clock_cores(&clk);
    dr_result(&dr, (uint64_t)rd_kafka_outq_len(rk), t0, r);
    if (dr.failed)
        fprintf(stderr, "bench_client: librdkafka: %" PRIu64 " failed, first: %s\n", dr.failed,
                rd_kafka_err2str((rd_kafka_resp_err_t)dr.first_err));
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return fatal || r->failed || !r->ok ? -1 : 0;
}

/* Reads partition 0 from the start until want messages or the time is up. */
static int rd_consume(const bc_opts_t *o, uint64_t want, bc_run_t *r)
{
    const char *extra[] = {"fetch.wait.max.ms=10"};
    rd_kafka_conf_t *conf = bb_conf_new(&o->bb, extra, (int)SL_ARRAY_LEN(extra));
    rd_kafka_t *rk = bb_client_new(RD_KAFKA_CONSUMER, conf);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->bb.topic, NULL);
    bb_clock_t clk;
    bb_clock_start(&clk);
    int64_t t0 = sl_time_mono_ns(), end = t0 + (int64_t)(o->bb.seconds * 1e9), last = t0;
    if (rd_kafka_consume_start(rkt, 0, RD_KAFKA_OFFSET_BEGINNING) == -1) {
        fprintf(stderr, "bench_client: librdkafka consume_start: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return -1;
    }
    rd_kafka_message_t *batch[1024];
    for (int64_t now = t0; r->ok < want && now < end;) {
        uint64_t before = r->ok;
        ssize_t n = rd_kafka_consume_batch(rkt, 0, 100, batch, SL_ARRAY_LEN(batch));
        for (ssize_t i = 0; i < n; i++) {
            if (batch[i]->err && batch[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (!r->failed++)
                    fprintf(stderr, "bench_client: librdkafka consume: %s\n", rd_kafka_message_errstr(batch[i]));
            } else if (batch[i]->offset != (int64_t)r->ok || batch[i]->len != (size_t)o->bb.size) {
                if (!r->failed++)
                    fprintf(stderr, "bench_client: librdkafka consume: offset %" PRId64 " (%zu bytes), expected %"
                            PRIu64 "\n", batch[i]->offset, batch[i]->len, r->ok);
            } else {
                r->ok++;
            }
            rd_kafka_message_destroy(batch[i]);
        }
        now = sl_time_mono_ns();   /* once per batch of up to 1024 */
        if (r->ok != before)
            last = now;
    }
    r->cores = bb_clock_cores(&clk);
    r->seconds = (double)(last - t0) / 1e9;
    rd_kafka_consume_stop(rkt, 0);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return r->failed || !r->ok ? -1 : 0;
}

/* ---- Sluice's client ----------------------------------------------------- */

static sl_conf_t *sl_conf_for(const bc_opts_t *o, const char *const *extra, size_t n_extra)
{
    sl_conf_t *conf = sl_conf_new();
    char err[256];
    if (!conf)
        return NULL;
    const char *kv[3 + BC_MAX_CFG + 8];
    size_t n = 0;
    static char boot[300];
    snprintf(boot, sizeof boot, "bootstrap.servers=%s", o->bb.bootstrap);
    kv[n++] = boot;
    kv[n++] = "client.id=sluice-bench";
    for (size_t i = 0; i < n_extra && n < SL_ARRAY_LEN(kv); i++)
        kv[n++] = extra[i];
    for (int i = 0; i < o->n_sl_cfg && n < SL_ARRAY_LEN(kv); i++)
        kv[n++] = o->sl_cfg[i];
    for (size_t i = 0; i < n; i++) {
        char key[256];
        const char *eq = strchr(kv[i], '=');
        if (!eq || (size_t)(eq - kv[i]) >= sizeof key) {
            fprintf(stderr, "bench_client: want name=value, got '%s'\n", kv[i]);
            sl_conf_free(conf);
            return NULL;
        }
        memcpy(key, kv[i], (size_t)(eq - kv[i]));
        key[eq - kv[i]] = '\0';
        if (sl_conf_set(conf, key, eq + 1, err, sizeof err) != SL_OK) {
            fprintf(stderr, "bench_client: %s\n", err);
            sl_conf_free(conf);
            return NULL;
        }
    }
    return conf;
}

typedef struct sl_prod {
    sl_producer_t *p;
    const sl_produce_rec_t *rec;
} sl_prod_t;

static int sl_send(void *h)
{
    sl_prod_t *sp = h;
    sl_err_t e = sl_producer_send(sp->p, sp->rec);
    if (e == SL_OK)
        return 0;
    if (e == SL_ERR_AGAIN)
        return 1;
    fprintf(stderr, "bench_client: sl_producer_send: %s\n", sl_err_name(e));
    return -1;
}

static void sl_poll(void *h, int ms)
{
    sl_producer_poll(((sl_prod_t *)h)->p, ms);
}

static void sl_on_delivery(sl_producer_t *p, const sl_message_t *m, void *arg)
{
    (void)p;
    dr_note(arg, m->err);
}

static int sl_produce(const bc_opts_t *o, const uint8_t *payload, bc_run_t *r)
{
    char acks[32];
    const char *extra[BC_PRODUCE_CFG];
    produce_cfg(o, "delivery.timeout.ms=60000", acks, sizeof acks, extra);
    sl_conf_t *conf = sl_conf_for(o, extra, SL_ARRAY_LEN(extra));
    if (!conf)
        return -1;
    bc_dr_t dr = {0};
    sl_producer_t *p;
    char err[256];
    sl_err_t e = sl_producer_new(conf, sl_on_delivery, &dr, &p, err, sizeof err);
    sl_conf_free(conf);
    if (e != SL_OK) {
        fprintf(stderr, "bench_client: sl_producer_new: %s: %s\n", sl_err_name(e), err);
        return -1;
    }
    sl_produce_rec_t rec = {.topic = o->bb.topic, .partition = 0, .key = NULL, .key_len = -1,
                            .value = payload, .value_len = o->bb.size};
    sl_prod_t sp = {p, &rec};
    bc_sender_t sender = {sl_send, sl_poll, &sp, &dr};
    bb_clock_t clk;
    bb_clock_start(&clk);
    int64_t t0 = sl_time_mono_ns();
    int fatal = produce_loop(o, &sender, t0);
    if (sl_producer_flush(p, 60000) != SL_OK)
        fprintf(stderr, "bench_client: sl_producer_flush: %zu undelivered\n", sl_producer_outq_len(p));
    dr_tick(&dr);
    r->cores = bb_clock_cores(&clk);
    dr_result(&dr, sl_producer_outq_len(p), t0, r);
    if (dr.failed)
        fprintf(stderr, "bench_client: sluice: %" PRIu64 " failed, first: %s\n", dr.failed,
                sl_err_name((sl_err_t)dr.first_err));
    sl_producer_free(p);
    return fatal || r->failed || !r->ok ? -1 : 0;
}

static int sl_consume(const bc_opts_t *o, uint64_t want, bc_run_t *r)
{
    static const char *const extra[] = {"fetch.max.wait.ms=10"};
    sl_conf_t *conf = sl_conf_for(o, extra, SL_ARRAY_LEN(extra));
    if (!conf)
        return -1;
    sl_consumer_t *c;
    char err[256];
    sl_err_t e = sl_consumer_new(conf, NULL, NULL, &c, err, sizeof err);
    sl_conf_free(conf);
    if (e != SL_OK) {
        fprintf(stderr, "bench_client: sl_consumer_new: %s: %s\n", sl_err_name(e), err);
        return -1;
    }
    sl_tp_offset_t part = {.topic = o->bb.topic, .partition = 0, .offset = SL_OFFSET_BEGINNING,
                           .leader_epoch = -1};
    bb_clock_t clk;
    bb_clock_start(&clk);
    int64_t t0 = sl_time_mono_ns(), end = t0 + (int64_t)(o->bb.seconds * 1e9), last = t0;
    e = sl_consumer_assign(c, &part, 1);
    /* poll hands out one message a call: the clock is read every
     * BC_CLOCK_EVERY of them (and after an empty poll), not per message, as
     * librdkafka's side reads it once per batch. When the data runs out,
     * the last few messages (under BC_CLOCK_EVERY) are counted without
     * their time: under 0.01% of a run's millions. */
    uint64_t since = 0;
    for (int64_t now = t0; e == SL_OK && r->ok < want && now < end;) {
        sl_message_t *m = NULL;
        sl_err_t pe = sl_consumer_poll(c, 100, &m);
        if (pe == SL_ERR_TIMEOUT) {
            now = sl_time_mono_ns();
            continue;
        }
        if (pe != SL_OK) {
            e = pe;
            break;
        }
        if (m->err) {
            if (!r->failed++)
                fprintf(stderr, "bench_client: sluice consume: %s\n", sl_err_name(m->err));
        } else if (m->offset != (int64_t)r->ok || m->value_len != o->bb.size) {
            if (!r->failed++)
                fprintf(stderr, "bench_client: sluice consume: offset %" PRId64 " (%d bytes), expected %" PRIu64 "\n",
                        m->offset, (int)m->value_len, r->ok);
        } else {
            r->ok++;
        }
        sl_message_free(m);
        if (++since == BC_CLOCK_EVERY || r->ok == want) {
            since = 0;
            now = last = sl_time_mono_ns();
        }
    }
    if (e != SL_OK)
        fprintf(stderr, "bench_client: sluice consume: %s\n", sl_err_name(e));
    r->cores = bb_clock_cores(&clk);
    r->seconds = (double)(last - t0) / 1e9;
    sl_consumer_free(c);
    return e != SL_OK || r->failed || !r->ok ? -1 : 0;
}

/* ---- the run ------------------------------------------------------------- */

static int by_rate(const void *a, const void *b)
{
    const bc_run_t *x = a, *y = b;
    double rx = x->seconds > 0 ? (double)x->ok / x->seconds : 0;
    double ry = y->seconds > 0 ? (double)y->ok / y->seconds : 0;
    return rx < ry ? -1 : rx > ry;
}

/* Sorts both sets of runs by rate and prints their medians. */
static void print_medians(const bc_opts_t *o, const char *mode, bc_run_t *rd, bc_run_t *sl)
{
    qsort(rd, (size_t)o->reps, sizeof(*rd), by_rate);
    qsort(sl, (size_t)o->reps, sizeof(*sl), by_rate);
    print_run(o, mode, "librdkafka", &rd[o->reps / 2]);
    print_run(o, mode, "sluice", &sl[o->reps / 2]);
}

/* Creates (with -c) and waits for the topic on o's broker, through
 * librdkafka's admin calls. 0 or -1 (message printed). */
static int topic_prepare(const bc_opts_t *o)
{
    rd_kafka_t *admin = bb_client_new(RD_KAFKA_PRODUCER, bb_conf_new(&o->bb, NULL, 0));
    int rc = bb_topic_prepare(admin, &o->bb);
    rd_kafka_destroy(admin);
    return rc;
}

static void usage(FILE *out)
{
    fputs("usage: bench_client -b HOST:PORT -l LABEL -t TOPIC [-P HOST:PORT [-L LABEL]] [-f SECONDS]\n"
          "                    [-s BYTES] [-a ACKS] [-d SECONDS] [-r REPS] [-c]\n"
          "                    [-X rdkafka.prop=value]... [-Y sluice.prop=value]...\n",
          out);
}

int main(int argc, char **argv)
{
    bc_opts_t o = {.bb = {.size = 100, .partitions = 1, .seconds = 3, .acks = "1", .linger_ms = -1},
                   .prod_label = "mock", .reps = 3};
    int ch;
    while ((ch = getopt(argc, argv, "b:l:t:P:L:f:s:a:d:r:cX:Y:h")) != -1) {
        switch (ch) {
        case 'b': o.bb.bootstrap = optarg; break;
        case 'l': o.bb.label = optarg; break;
        case 't': o.bb.topic = optarg; break;
        case 'P': o.prod_bootstrap = optarg; break;
        case 'L': o.prod_label = optarg; break;
        case 'f': o.fill_seconds = atof(optarg); break;
        case 's': o.bb.size = atoi(optarg); break;
        case 'a': o.bb.acks = optarg; break;
        case 'd': o.bb.seconds = atof(optarg); break;
        case 'r': o.reps = atoi(optarg); break;
        case 'c': o.bb.create = true; break;
        case 'X':
            if (o.bb.n_client_cfg >= BB_MAX_KV) {
                usage(stderr);
                return 2;
            }
            o.bb.client_cfg[o.bb.n_client_cfg++] = optarg;
            break;
        case 'Y':
            if (o.n_sl_cfg >= BC_MAX_CFG) {
                usage(stderr);
                return 2;
            }
            o.sl_cfg[o.n_sl_cfg++] = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!o.bb.bootstrap || !o.bb.label || !o.bb.topic || o.bb.size <= 0 || o.bb.seconds <= 0 || o.reps < 1 ||
        o.reps > BC_MAX_REPS || o.fill_seconds < 0) {
        usage(stderr);
        return 2;
    }
    if (o.fill_seconds == 0)
        o.fill_seconds = o.reps * o.bb.seconds;

    /* po: the produce runs' broker; o: the consume runs' */
    bc_opts_t po = o;
    if (o.prod_bootstrap) {
        /* librdkafka's mock answers no CreateTopics (it has no controller)
         * but creates a topic when Metadata asks for one */
        po.bb.bootstrap = o.prod_bootstrap;
        po.bb.label = o.prod_label;
        po.bb.create = false;
    }
    if (topic_prepare(&o) != 0 || (o.prod_bootstrap && topic_prepare(&po) != 0))
        return 1;
    uint8_t *payload = malloc((size_t)o.bb.size);
    if (!payload)
        return 1;
    bb_fill_payload(payload, (size_t)o.bb.size);

    bc_run_t rd[BC_MAX_REPS] = {{0}}, sl[BC_MAX_REPS] = {{0}};
    uint64_t total = 0;
    int failed = 0;
    for (int i = 0; i < o.reps; i++) {
        failed |= rd_produce(&po, payload, &rd[i]) != 0;
        print_run(&po, "client_produce", "librdkafka", &rd[i]);
        failed |= sl_produce(&po, payload, &sl[i]) != 0;
        print_run(&po, "client_produce", "sluice", &sl[i]);
        total += rd[i].ok + sl[i].ok;
    }
    print_medians(&po, "client_produce_median", rd, sl);

    if (o.prod_bootstrap) {
        /* what the consume runs read: not a figure, but checked */
        bc_opts_t fo = o;
        fo.bb.seconds = o.fill_seconds;
        bc_run_t fill = {0};
        failed |= sl_produce(&fo, payload, &fill) != 0;
        print_run(&fo, "client_fill", "sluice", &fill);
        total = fill.ok;
    }
    memset(rd, 0, sizeof(rd));
    memset(sl, 0, sizeof(sl));
    for (int i = 0; i < o.reps; i++) {
        failed |= rd_consume(&o, total, &rd[i]) != 0;
        print_run(&o, "client_consume", "librdkafka", &rd[i]);
        failed |= sl_consume(&o, total, &sl[i]) != 0;
        print_run(&o, "client_consume", "sluice", &sl[i]);
    }
    print_medians(&o, "client_consume_median", rd, sl);
    free(payload);
    return failed ? 1 : 0;
}
