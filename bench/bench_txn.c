/*
 * bench_txn.c - transactional produce throughput against any Kafka-compatible
 * broker, with librdkafka's public C API and bench_broker's client set-up
 * (broker_setup.c): one producer sends o->size byte messages round-robin over
 * partitions 0..n-1 in transactions of K messages (begin, K produces,
 * commit_transaction), and, as the reference, the same loop with an
 * idempotent non-transactional producer (acks=all, as a transactional one
 * has). Figures run one after the other and the whole cycle is repeated, so
 * each figure's median and range come from the same conditions as its
 * reference.
 *
 *   bench_txn -b HOST:PORT -l LABEL -t TOPIC [-s BYTES] [-p PARTITIONS]
 *             [-d SECONDS] [-r REPS] [-k K1,K2,...] [-c] [-X prop=value]...
 *
 * A transactional rate counts committed messages over the time from the
 * first send to the end of the last commit; a transaction is never cut, so a
 * run lasts at least one transaction. The reference counts delivered
 * messages up to the last delivery report. Each run prints a "result " line
 * (key=value); then a table of medians [min-max] and the fraction of the
 * reference's median. Exit 3 when the broker does not complete
 * init_transactions (no transactions there): a clear message, no figures.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_int.h"

#define BT_MAX_K 8
#define BT_MAX_REPS 20
#define BT_EXIT_NO_TXN 3

typedef struct bt_run {
    uint64_t msgs, txns;
    double seconds;
    double cores;
} bt_run_t;

typedef struct bt_dr {
    uint64_t ok, failed;
    rd_kafka_resp_err_t first_err;
    int64_t last_ns;
} bt_dr_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    bt_dr_t *dr = opaque;
    if (m->err) {
        if (!dr->failed++)
            dr->first_err = m->err;
    } else {
        dr->ok++;
    }
    dr->last_ns = sl_time_mono_ns();
}

/* Queues one message, polling while librdkafka's queue is full. 0 or -1. */
static int send_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t part, const uint8_t *payload, size_t n)
{
    for (int i = 0; i < 100000; i++) {
        if (rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY, (void *)payload, n, NULL, 0, NULL) == 0)
            return 0;
        rd_kafka_resp_err_t err = rd_kafka_last_error();
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "bench_txn: produce: %s\n", rd_kafka_err2str(err));
            return -1;
        }
        rd_kafka_poll(rk, 1);
    }
    fprintf(stderr, "bench_txn: produce: queue still full after 100 s\n");
    return -1;
}

/* Reports and frees err; returns -1 (or 0 when err is NULL). */
static int txn_failed(const char *what, rd_kafka_error_t *err)
{
    if (!err)
        return 0;
    fprintf(stderr, "bench_txn: %s: %s (%s%s)\n", what, rd_kafka_error_string(err), rd_kafka_error_name(err),
            rd_kafka_error_is_fatal(err) ? ", fatal" : "");
    rd_kafka_error_destroy(err);
    return -1;
}

static rd_kafka_t *producer_new(const bb_opts_t *o, const char *txnid, bt_dr_t *dr)
{
    char id[256];
    snprintf(id, sizeof id, "transactional.id=%s", txnid ? txnid : "");
    /* librdkafka's defaults otherwise (linger.ms 5), for both kinds. */
    const char *extra[] = {"enable.idempotence=true", "acks=all", "message.timeout.ms=30000", id};
    rd_kafka_conf_t *conf = bb_conf_new(o, extra, txnid ? 4 : 3);
    rd_kafka_conf_set_opaque(conf, dr);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    return bb_client_new(RD_KAFKA_PRODUCER, conf);
}

/* The reference: idempotent, no transactions, o->seconds of sends. */
static int run_plain(const bb_opts_t *o, const uint8_t *payload, bt_run_t *r)
{
    bt_dr_t dr = {0};
    rd_kafka_t *rk = producer_new(o, NULL, &dr);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    bb_clock_t clk;
    bb_clock_start(&clk);
    int64_t t0 = sl_time_mono_ns(), end = t0 + (int64_t)(o->seconds * 1e9);
    uint64_t sent = 0;
    int rc = 0;
    while (rc == 0 && sl_time_mono_ns() < end) {
        for (int k = 0; k < 1024 && rc == 0; k++, sent++)
            rc = send_one(rk, rkt, (int32_t)(sent % (uint64_t)o->partitions), payload, (size_t)o->size);
        rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "bench_txn: flush: %d messages undelivered after 60 s\n", rd_kafka_outq_len(rk));
        rc = -1;
    }
    if (dr.failed) {
        fprintf(stderr, "bench_txn: %" PRIu64 " messages failed, first: %s\n", dr.failed,
                rd_kafka_err2str(dr.first_err));
        rc = -1;
    }
    r->cores = bb_clock_cores(&clk);
    r->msgs = dr.ok;
    r->txns = 0;
    r->seconds = dr.ok ? (double)(dr.last_ns - t0) / 1e9 : o->seconds;
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return rc;
}

/* Transactions of k messages for o->seconds (the last one finished). The
 * producer is initialised before the clock starts. */
static int run_txn(const bb_opts_t *o, rd_kafka_t *rk, rd_kafka_topic_t *rkt, const uint8_t *payload, int k,
                   bt_run_t *r)
{
    bb_clock_t clk;
    bb_clock_start(&clk);
    int64_t t0 = sl_time_mono_ns(), end = t0 + (int64_t)(o->seconds * 1e9);
    uint64_t sent = 0, txns = 0;
    int rc = 0;
    while (rc == 0 && (txns == 0 || sl_time_mono_ns() < end)) {
        rc = txn_failed("begin_transaction", rd_kafka_begin_transaction(rk));
        for (int i = 0; i < k && rc == 0; i++, sent++)
            rc = send_one(rk, rkt, (int32_t)(sent % (uint64_t)o->partitions), payload, (size_t)o->size);
        if (rc == 0)
            rc = txn_failed("commit_transaction", rd_kafka_commit_transaction(rk, 60000));
        if (rc == 0)
            txns++;
    }
    r->cores = bb_clock_cores(&clk);
    r->seconds = (double)(sl_time_mono_ns() - t0) / 1e9;
    r->txns = txns;
    r->msgs = txns * (uint64_t)k;
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v[0..n) (n >= 1) and returns its median. */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double num_arg(const char *s, double lo, double hi, char opt)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi)) {
        fprintf(stderr, "bench_txn: -%c wants a number in %g..%g, got '%s'\n", opt, lo, hi, s);
        exit(2);
    }
    return v;
}

/* "1,100,10000" into ks[]; returns the count or exits with a message. */
static int parse_ks(const char *s, int *ks)
{
    int n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == BT_MAX_K) {
            fprintf(stderr, "bench_txn: -k takes at most %d sizes\n", BT_MAX_K);
            exit(2);
        }
        ks[n++] = (int)num_arg(tok, 1, 1000000, 'k');
    }
    if (n == 0) {
        fprintf(stderr, "bench_txn: -k wants K1,K2,...\n");
        exit(2);
    }
    return n;
}

static void usage(FILE *out)
{
    fputs("usage: bench_txn -b HOST:PORT -l LABEL -t TOPIC [-s BYTES] [-p PARTITIONS] [-d SECONDS]\n"
          "                 [-r REPS] [-k K1,K2,...] [-c] [-X rdkafka.prop=value]...\n",
          out);
}

int main(int argc, char **argv)
{
    bb_opts_t o = {.label = "broker", .size = 100, .partitions = 3, .seconds = 2, .acks = "all",
                   .linger_ms = -1};
    int reps = 3, ks[BT_MAX_K] = {1, 100, 10000}, nk = 3, c;
    while ((c = getopt(argc, argv, "b:l:t:s:p:d:r:k:cX:h")) != -1) {
        switch (c) {
        case 'b': o.bootstrap = optarg; break;
        case 'l': o.label = optarg; break;
        case 't': o.topic = optarg; break;
        case 's': o.size = (int)num_arg(optarg, 1, 1 << 20, 's'); break;
        case 'p': o.partitions = (int)num_arg(optarg, 1, 1000, 'p'); break;
        case 'd': o.seconds = num_arg(optarg, 0.1, 600, 'd'); break;
        case 'r': reps = (int)num_arg(optarg, 1, BT_MAX_REPS, 'r'); break;
        case 'k': nk = parse_ks(optarg, ks); break;
        case 'c': o.create = true; break;
        case 'X':
            if (o.n_client_cfg == BB_MAX_KV || !strchr(optarg, '=')) {
                fprintf(stderr, "bench_txn: -X wants name=value (at most %d)\n", BB_MAX_KV);
                return 2;
            }
            o.client_cfg[o.n_client_cfg++] = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!o.bootstrap || !o.topic) {
        usage(stderr);
        return 2;
    }
    uint8_t *payload = malloc((size_t)o.size);
    if (!payload)
        return 1;
    bb_fill_payload(payload, (size_t)o.size);

    /* One transactional producer per K, initialised up front: an
     * init_transactions that fails says the broker has no transactions. */
    rd_kafka_t *tx[BT_MAX_K] = {0};
    rd_kafka_topic_t *txt[BT_MAX_K] = {0};
    bt_dr_t txdr[BT_MAX_K] = {{0}};
    int rc = 0;
    for (int i = 0; i < nk && rc == 0; i++) {
        char id[64];
        snprintf(id, sizeof id, "sluice-bench-txn-%d", ks[i]);
        tx[i] = producer_new(&o, id, &txdr[i]);
        if (i == 0 && bb_topic_prepare(tx[i], &o) != 0) {
            rc = 1;
            break;
        }
        rd_kafka_error_t *err = rd_kafka_init_transactions(tx[i], 20000);
        if (err) {
            fprintf(stderr, "bench_txn: %s: init_transactions failed: %s (%s): the broker completes no "
                    "transactions; no transaction figures\n", o.label, rd_kafka_error_string(err),
                    rd_kafka_error_name(err));
            rd_kafka_error_destroy(err);
            rc = BT_EXIT_NO_TXN;
            break;
        }
        txt[i] = rd_kafka_topic_new(tx[i], o.topic, NULL);
    }

    double ref[BT_MAX_REPS], rate[BT_MAX_K][BT_MAX_REPS];
    for (int rep = 0; rep < reps && rc == 0; rep++) {
        bt_run_t r;
        if (run_plain(&o, payload, &r) != 0) {
            rc = 1;
            break;
        }
        ref[rep] = (double)r.msgs / r.seconds;
        bb_result(&o, "txn", "per_txn=0 rep=%d msgs=%" PRIu64 " seconds=%.3f msg_s=%.0f mb_s=%.2f "
                  "driver_cores=%.2f", rep, r.msgs, r.seconds, ref[rep], ref[rep] * o.size / 1e6, r.cores);
        for (int i = 0; i < nk && rc == 0; i++) {
            if (run_txn(&o, tx[i], txt[i], payload, ks[i], &r) != 0) {
                rc = 1;
                break;
            }
            rate[i][rep] = (double)r.msgs / r.seconds;
            bb_result(&o, "txn", "per_txn=%d rep=%d msgs=%" PRIu64 " txns=%" PRIu64 " seconds=%.3f msg_s=%.0f "
                      "txn_s=%.1f mb_s=%.2f driver_cores=%.2f", ks[i], rep, r.msgs, r.txns, r.seconds,
                      rate[i][rep], (double)r.txns / r.seconds, rate[i][rep] * o.size / 1e6, r.cores);
        }
    }
    for (int i = 0; i < nk; i++) {
        if (txt[i])
            rd_kafka_topic_destroy(txt[i]);
        if (tx[i])
            rd_kafka_destroy(tx[i]);
    }
    free(payload);
    if (rc != 0)
        return rc;

    double ref_med = median(ref, reps);
    printf("\ntransactional produce, %d B messages over %d partitions, %.1f s per run, %d runs of each\n"
           "(median [min-max]; fraction = median / the idempotent producer's median)\n\n",
           o.size, o.partitions, o.seconds, reps);
    printf("| producer | msg/s | fraction |\n| --- | ---: | ---: |\n");
    printf("| idempotent, no transactions | %.0f [%.0f-%.0f] | 1.00 |\n", ref_med, ref[0], ref[reps - 1]);
    for (int i = 0; i < nk; i++) {
        double m = median(rate[i], reps);
        printf("| transactional, %d message%s per transaction | %.0f [%.0f-%.0f] | %.2g |\n", ks[i],
               ks[i] == 1 ? "" : "s", m, rate[i][0], rate[i][reps - 1], ref_med > 0 ? m / ref_med : 0);
    }
    printf("result label=%s mode=txn_summary ref_msg_s=%.0f", o.label, ref_med);
    for (int i = 0; i < nk; i++)
        printf(" k%d_fraction=%.2g", ks[i], ref_med > 0 ? median(rate[i], reps) / ref_med : 0);
    putchar('\n');
    return 0;
}
