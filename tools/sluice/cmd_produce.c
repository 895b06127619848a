/*
 * cmd_produce.c - `sluice produce TOPIC`: one record per line of stdin or
 * --file (kafka-console-producer.sh and kcat -P), the key before
 * --key-separator when given, headers from --header, a partition, a codec
 * and acks when asked; waits for every delivery and prints a summary.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

typedef struct produce_state {
    uint64_t sent, delivered, failed, bytes;
    sl_err_t first_err;
    char first_err_where[128];
} produce_state_t;

static void on_delivery(sl_producer_t *p, const sl_message_t *msg, void *arg)
{
    SL_UNUSED(p);
    produce_state_t *st = arg;
    if (msg->err) {
        if (!st->failed++) {
            st->first_err = msg->err;
            snprintf(st->first_err_where, sizeof st->first_err_where, "%s-%d", msg->topic, (int)msg->partition);
        }
        return;
    }
    st->delivered++;
}

/* The --header values as headers (pointing into args and the copies in
 * *keys; free *keys). SLUICE_OK or SLUICE_USAGE. */
static int collect_headers(sluice_ctx_t *ctx, sl_msg_header_t **out, size_t *n)
{
    sl_config_entry_t *kv;
    size_t nkv;
    int rc = sluice_collect_configs(ctx, "header", &kv, &nkv);
    *out = NULL;
    *n = 0;
    if (rc == SLUICE_OK && nkv) {
        *out = calloc(nkv, sizeof **out);
        if (!*out) {
            sluice_err("out of memory");
            rc = SLUICE_FAILED;
        }
    }
    if (rc != SLUICE_OK) {
        sluice_free_entries(kv, nkv);
        return rc;
    }
    for (size_t i = 0; i < nkv; i++) {
        (*out)[i].key = kv[i].name;     /* owned: freed with the headers */
        (*out)[i].value = kv[i].value;
        (*out)[i].value_len = (int32_t)strlen(kv[i].value);
    }
    *n = nkv;
    free(kv);
    return SLUICE_OK;
}

static void free_headers(sl_msg_header_t *h, size_t n)
{
    for (size_t i = 0; h && i < n; i++)
        free((char *)h[i].key);
    free(h);
}

/* The producer's settings: the common ones, then --acks and --compression. */
static int producer_conf(sluice_ctx_t *ctx, sl_conf_t **out)
{
    sl_conf_t *conf = sl_conf_dup(ctx->conf);
    if (!conf) {
        sluice_err("out of memory");
        return SLUICE_FAILED;
    }
    char errbuf[512];
    const char *acks = sluice_arg(ctx->args, "acks"), *codec = sluice_arg(ctx->args, "compression");
    if (acks && sl_conf_set(conf, "acks", acks, errbuf, sizeof errbuf) != SL_OK) {
        sl_conf_free(conf);
        return sluice_usage(ctx, "--acks %s: %s", acks, errbuf);
    }
    /* acks 0 or 1 cannot keep idempotence's promise: the Java client's rule. */
    if (acks && strcmp(acks, "all") != 0 && strcmp(acks, "-1") != 0)
        sl_conf_set(conf, "enable.idempotence", "false", errbuf, sizeof errbuf);
    if (codec && sl_conf_set(conf, "compression.type", codec, errbuf, sizeof errbuf) != SL_OK) {
        sl_conf_free(conf);
        return sluice_usage(ctx, "--compression %s: %s", codec, errbuf);
    }
    *out = conf;
    return SLUICE_OK;
}

static int produce(sluice_ctx_t *ctx)
{
    if (ctx->args->npos != 1)
        return sluice_usage(ctx, "produce wants one topic name");
    const char *topic = ctx->args->pos[0];
    const char *sep = sluice_arg(ctx->args, "key-separator");
    if (sep && !*sep)
        return sluice_usage(ctx, "--key-separator must not be empty");
    int64_t partition = SL_PARTITION_ANY;
    const char *ps = sluice_arg(ctx->args, "partition");
    if (ps && !sluice_parse_i64(ps, 0, INT32_MAX, &partition))
        return sluice_usage(ctx, "--partition wants a partition number, not '%s'", ps);
    sl_msg_header_t *headers;
    size_t nheaders;
    int rc = collect_headers(ctx, &headers, &nheaders);
    if (rc)
        return rc;
    sl_conf_t *conf = NULL;
    if ((rc = producer_conf(ctx, &conf))) {
        free_headers(headers, nheaders);
        return rc;
    }
    const char *path = sluice_arg(ctx->args, "file");
    FILE *in = stdin;
    sl_producer_t *p = NULL;
    char *line = NULL;
    int32_t nparts = 0;
    produce_state_t st = {0};
    if ((rc = sluice_topic_partitions(ctx, topic, &nparts)))
        goto out;
    if (partition >= nparts) {
        sluice_err("topic '%s' has %d partitions: there is no partition %lld", topic, (int)nparts,
                   (long long)partition);
        rc = SLUICE_FAILED;
        goto out;
    }
    if (path && strcmp(path, "-") != 0 && !(in = fopen(path, "r"))) {
        sluice_err("cannot read %s: %s", path, strerror(errno));
        in = NULL;
        rc = SLUICE_FAILED;
        goto out;
    }
    char errbuf[512] = "";
    sl_err_t err = sl_producer_new(conf, on_delivery, &st, &p, errbuf, sizeof errbuf);
    if (err) {
        sluice_err("cannot start the producer: %s", errbuf[0] ? errbuf : sl_err_str(err));
        rc = err == SL_ERR_CONFIG ? SLUICE_USAGE : SLUICE_FAILED;
        goto out;
    }
    sluice_progress_t prog;
    sluice_progress_init(&prog, "produced");
    size_t cap = 0;
    ssize_t len;
    uint64_t lineno = 0;
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        sl_produce_rec_t rec = {
            .topic = topic,
            .partition = (int32_t)partition,
            .value = line,
            .value_len = (int32_t)len,
            .headers = headers,
            .header_count = nheaders,
        };
        if (sep) {
            char *at = strstr(line, sep);
            if (!at) {
                sluice_err("line %llu has no key separator '%s'", (unsigned long long)lineno, sep);
                rc = SLUICE_FAILED;
                break;
            }
            rec.key = line;
            rec.key_len = (int32_t)(at - line);
            rec.value = at + strlen(sep);
            rec.value_len = (int32_t)(len - rec.key_len - (ssize_t)strlen(sep));
        }
        err = sl_producer_send(p, &rec);
        if (err) {
            sluice_err("sending line %llu: %s (%s)", (unsigned long long)lineno, sl_err_name(err), sl_err_str(err));
            rc = SLUICE_FAILED;
            break;
        }
        st.sent++;
        st.bytes += (uint64_t)rec.value_len + (uint64_t)(rec.key ? rec.key_len : 0);
        sl_producer_poll(p, 0);
        sluice_progress(&prog, st.delivered);
    }
    if (in != stdin && ferror(in)) {
        sluice_err("reading %s: %s", path, strerror(errno));
        rc = SLUICE_FAILED;
    }
    /* Every record sent gets its report (delivery.timeout.ms bounds it). */
    while (sl_producer_outq_len(p) > 0) {
        sl_producer_flush(p, 1000);
        sluice_progress(&prog, st.delivered);
    }
    sluice_progress_end(&prog);
    double secs = (double)(sl_time_mono_ms() - prog.start_ms) / 1000.0;
    if (st.failed) {
        sluice_err("%llu of %llu records were not delivered; the first (%s): %s (%s)",
                   (unsigned long long)st.failed, (unsigned long long)st.sent, st.first_err_where,
                   sl_err_name(st.first_err), sl_err_str(st.first_err));
        rc = SLUICE_FAILED;
    }
    if (ctx->json) {
        json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:f}", "topic", topic, "messages", (json_int_t)st.delivered,
                              "failed", (json_int_t)st.failed, "bytes", (json_int_t)st.bytes, "seconds", secs);
        int jrc = sluice_json_print(j);
        if (rc == SLUICE_OK)
            rc = jrc;
    } else {
        printf("Produced %llu message%s (%llu bytes of keys and values) to '%s' in %.3f s (%.0f msg/s)\n",
               (unsigned long long)st.delivered, st.delivered == 1 ? "" : "s", (unsigned long long)st.bytes, topic,
               secs,
               secs > 0 ? (double)st.delivered / secs : 0.0);
    }
out:
    sl_producer_free(p);
    free(line);
    if (in && in != stdin)
        fclose(in);
    sl_conf_free(conf);
    free_headers(headers, nheaders);
    return rc;
}

static const sluice_opt_t produce_opts[] = {
    {"file", 'f', true, "PATH: read the records from PATH instead of stdin"},
    {"key-separator", 'K', true, "SEP: the text before SEP on a line is the key"},
    {"partition", 'p', true, "N: send every record to partition N (default: by key, else sticky)"},
    {"compression", 'z', true, "CODEC: none, gzip, snappy, lz4 or zstd"},
    {"acks", 'a', true, "ACKS: 0, 1 or all (default all)"},
    {"header", 'H', true, "KEY=VALUE: a header on every record, repeatable"},
};

const sluice_cmd_t sluice_produce_cmds[] = {
    {"produce", NULL, "TOPIC [--file PATH] [--key-separator SEP] [--partition N] [--header K=V]...",
     "send lines of stdin (or a file) as records", produce_opts, SL_ARRAY_LEN(produce_opts), produce},
};
const size_t sluice_produce_ncmds = SL_ARRAY_LEN(sluice_produce_cmds);
