/*
 * client_produce_it.c - a driver for the producer's integration tests:
 * sends N records with our producer and prints one line per delivery
 * report ("DR index partition offset error-name"), then a summary line
 * ("DONE delivered failed msg/s"). Exits 0 when every record was delivered,
 * 1 otherwise, 2 on bad usage.
 *
 *   client_produce_it -b HOST:PORT -t TOPIC -n N [-X key=value]...
 *       [--keys] [--headers] [--size BYTES] [--partition P] [--quiet]
 *       [--txn commit|abort]   (with -X transactional.id=...)
 *       [--txn-offsets GROUP]  (with --txn: commits offset 42 of the topic's
 *                               partition 0 for GROUP in the transaction)
 *
 * Record i has value "value-<i>" (padded with '.' to --size bytes), key
 * "key-<i>" with --keys (null otherwise) and with --headers two headers,
 * "h1"="one-<i>" and "h2" with a null value.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "client.h"

typedef struct run {
    long delivered, failed;
    bool quiet;
} run_t;

static void on_dr(sl_producer_t *p, const sl_message_t *m, void *arg)
{
    (void)p;
    run_t *r = arg;
    long i = (long)(intptr_t)m->opaque;
    if (m->err == SL_OK)
        r->delivered++;
    else
        r->failed++;
    if (!r->quiet || m->err != SL_OK)
        printf("DR %ld %d %" PRId64 " %s\n", i, m->partition, m->offset, m->err ? sl_err_name(m->err) : "OK");
}

static int usage(sl_conf_t *conf)
{
    sl_conf_free(conf);
    fprintf(stderr, "usage: client_produce_it -b HOST:PORT -t TOPIC -n N [-X key=value]... [--keys] "
                    "[--headers] [--size BYTES] [--partition P] [--quiet] [--txn commit|abort] "
                    "[--txn-offsets GROUP]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *topic = NULL, *txn = NULL, *txn_group = NULL;
    long n = 0, size = 0;
    int32_t partition = SL_PARTITION_ANY;
    bool keys = false, headers = false;
    run_t run = {0, 0, false};
    char err[512];
    sl_log_level_t lvl;
    if (getenv("SLUICE_LOG") && sl_log_parse_level(getenv("SLUICE_LOG"), &lvl) == SL_OK)
        sl_log_set_level(lvl);
    sl_conf_t *conf = sl_conf_new();
    if (!conf)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-b") && v) {
            if (sl_conf_set(conf, "bootstrap.servers", v, err, sizeof(err)) != SL_OK)
                return fprintf(stderr, "%s\n", err), usage(conf);
            i++;
        } else if (!strcmp(a, "-t") && v) {
            topic = v;
            i++;
        } else if (!strcmp(a, "-n") && v) {
            n = atol(v);
            i++;
        } else if (!strcmp(a, "--size") && v) {
            size = atol(v);
            i++;
        } else if (!strcmp(a, "--partition") && v) {
            partition = (int32_t)atol(v);
            i++;
        } else if (!strcmp(a, "--txn") && v) {
            txn = v;
            i++;
        } else if (!strcmp(a, "--txn-offsets") && v) {
            txn_group = v;
            i++;
        } else if (!strcmp(a, "-X") && v) {
            char kv[512];
            snprintf(kv, sizeof(kv), "%s", v);
            char *eq = strchr(kv, '=');
            if (!eq)
                return usage(conf);
            *eq = '\0';
            if (sl_conf_set(conf, kv, eq + 1, err, sizeof(err)) != SL_OK)
                return fprintf(stderr, "%s\n", err), usage(conf);
            i++;
        } else if (!strcmp(a, "--keys")) {
            keys = true;
        } else if (!strcmp(a, "--headers")) {
            headers = true;
        } else if (!strcmp(a, "--quiet")) {
            run.quiet = true;
        } else {
            return usage(conf);
        }
    }
    if (!topic || n <= 0 || size < 0 || size > (1 << 24))
        return usage(conf);
    sl_producer_t *p;
    if (sl_producer_new(conf, on_dr, &run, &p, err, sizeof(err)) != SL_OK) {
        fprintf(stderr, "producer: %s\n", err);
        sl_conf_free(conf);
        return 1;
    }
    sl_conf_free(conf);
    sl_err_t e;
    if (txn) {
        if ((e = sl_producer_init_transactions(p, 30000)) != SL_OK ||
            (e = sl_producer_begin_transaction(p)) != SL_OK) {
            fprintf(stderr, "transactions: %s\n", sl_err_name(e));
            sl_producer_free(p);
            return 1;
        }
    }
    size_t cap = (size_t)(size > 64 ? size : 64);
    char *value = malloc(cap + 1);
    if (!value)
        return 1;
    int64_t t0 = sl_time_mono_ms();
    for (long i = 0; i < n; i++) {
        char key[32], h1[32];
        int vlen = snprintf(value, cap + 1, "value-%ld", i);
        if (size > vlen) {
            memset(value + vlen, '.', (size_t)(size - vlen));
            vlen = (int)size;
        }
        int klen = snprintf(key, sizeof(key), "key-%ld", i);
        int hlen = snprintf(h1, sizeof(h1), "one-%ld", i);
        sl_msg_header_t hs[2] = {{"h1", h1, hlen}, {"h2", NULL, -1}};
        sl_produce_rec_t rec = {
            .topic = topic, .partition = partition,
            .key = keys ? key : NULL, .key_len = keys ? klen : 0,
            .value = value, .value_len = vlen,
            .headers = headers ? hs : NULL, .header_count = headers ? 2 : 0,
            .opaque = (void *)(intptr_t)i,
        };
        for (int tries = 0;; tries++) {
            e = sl_producer_send(p, &rec);
            if (e != SL_ERR_AGAIN || tries > 100)
                break;
            sl_producer_poll(p, 100);
        }
        if (e != SL_OK) {
            fprintf(stderr, "send %ld: %s\n", i, sl_err_name(e));
            run.failed++;
        }
        sl_producer_poll(p, 0);
    }
    e = sl_producer_flush(p, 60000);
    if (e != SL_OK)
        fprintf(stderr, "flush: %s (%zu left)\n", sl_err_name(e), sl_producer_outq_len(p));
    if (txn && txn_group) {
        sl_tp_offset_t off = {.topic = topic, .partition = 0, .offset = 42, .leader_epoch = -1};
        sl_group_meta_t meta = {.group_id = txn_group, .generation_id = -1, .member_id = ""};
        e = sl_producer_send_offsets_to_transaction(p, &off, 1, &meta, 30000);
        if (e != SL_OK) {
            fprintf(stderr, "send_offsets_to_transaction: %s\n", sl_err_name(e));
            run.failed++;
        }
    }
    if (txn) {
        e = !strcmp(txn, "abort") ? sl_producer_abort_transaction(p, 30000)
                                  : sl_producer_commit_transaction(p, 30000);
        if (e != SL_OK) {
            fprintf(stderr, "%s_transaction: %s\n", txn, sl_err_name(e));
            run.failed++;
        }
    }
    int64_t ms = sl_time_mono_ms() - t0;
    sl_producer_free(p);
    free(value);
    printf("DONE %ld %ld %.0f\n", run.delivered, run.failed, ms > 0 ? (double)run.delivered * 1000.0 / (double)ms : 0.0);
    return run.failed == 0 && run.delivered == n ? 0 : 1;
}
