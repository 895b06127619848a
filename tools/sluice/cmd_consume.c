/*
 * cmd_consume.c - `sluice consume TOPIC` (kafka-console-consumer.sh and
 * kcat -C): as a member of --group, or without one reading the partitions
 * directly from --offset / --from-beginning / the end; stops after --max
 * records, after --timeout ms without one, or on Ctrl-C; prints each record
 * through --format or as a JSON line.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    SL_UNUSED(sig);
    g_stop = 1;
}

/* The consumer's settings: the common ones, then the group, the reset
 * policy and the isolation level. */
static int consumer_conf(sluice_ctx_t *ctx, const char *group, sl_conf_t **out)
{
    sl_conf_t *conf = sl_conf_dup(ctx->conf);
    if (!conf) {
        sluice_err("out of memory");
        return SLUICE_FAILED;
    }
    char errbuf[512];
    const char *iso = sluice_arg(ctx->args, "isolation");
    if (iso && strcmp(iso, "read_committed") != 0 && strcmp(iso, "read_uncommitted") != 0) {
        sl_conf_free(conf);
        return sluice_usage(ctx, "--isolation wants read_committed or read_uncommitted, not '%s'", iso);
    }
    if ((iso && sl_conf_set(conf, "isolation.level", iso, errbuf, sizeof errbuf) != SL_OK) ||
        (group && sl_conf_set(conf, "group.id", group, errbuf, sizeof errbuf) != SL_OK) ||
        sl_conf_set(conf, "auto.offset.reset", sluice_flag(ctx->args, "from-beginning") ? "earliest" : "latest",
                    errbuf, sizeof errbuf) != SL_OK) {
        sl_conf_free(conf);
        return sluice_usage(ctx, "%s", errbuf);
    }
    *out = conf;
    return SLUICE_OK;
}

/* Where to start without a group: --offset N|beginning|end, else
 * --from-beginning, else the end. */
static int start_offset(sluice_ctx_t *ctx, int64_t *off)
{
    const char *o = sluice_arg(ctx->args, "offset");
    *off = sluice_flag(ctx->args, "from-beginning") ? SL_OFFSET_BEGINNING : SL_OFFSET_END;
    if (!o)
        return SLUICE_OK;
    if (strcmp(o, "beginning") == 0)
        *off = SL_OFFSET_BEGINNING;
    else if (strcmp(o, "end") == 0)
        *off = SL_OFFSET_END;
    else if (!sluice_parse_i64(o, 0, INT64_MAX, off))
        return sluice_usage(ctx, "--offset wants an offset, 'beginning' or 'end', not '%s'", o);
    return SLUICE_OK;
}

static int consume(sluice_ctx_t *ctx)
{
    if (ctx->args->npos != 1)
        return sluice_usage(ctx, "consume wants one topic name");
    const char *topic = ctx->args->pos[0];
    const char *group = sluice_arg(ctx->args, "group");
    int64_t max = -1, part = -1, idle = -1, off;
    const char *s;
    if ((s = sluice_arg(ctx->args, "max")) && !sluice_parse_i64(s, 1, INT64_MAX, &max))
        return sluice_usage(ctx, "--max wants a number of records (at least 1), not '%s'", s);
    if ((s = sluice_arg(ctx->args, "partition")) && !sluice_parse_i64(s, 0, INT32_MAX, &part))
        return sluice_usage(ctx, "--partition wants a partition number, not '%s'", s);
    if ((s = sluice_arg(ctx->args, "timeout")) && !sluice_parse_i64(s, 1, INT32_MAX, &idle))
        return sluice_usage(ctx, "--timeout wants milliseconds, not '%s'", s);
    if (group && (sluice_flag(ctx->args, "offset") || part >= 0))
        return sluice_usage(ctx, "--offset and --partition read without a group; drop --group to use them");
    int rc = start_offset(ctx, &off);
    if (rc)
        return rc;
    const char *fmt = sluice_arg(ctx->args, "format");
    char ferr[256];
    if (!fmt)
        fmt = "{value}\\n";
    if (!sluice_format_check(fmt, ferr, sizeof ferr))
        return sluice_usage(ctx, "%s", ferr);
    int32_t nparts = 0;
    if ((rc = sluice_topic_partitions(ctx, topic, &nparts)))
        return rc;
    if (part >= nparts) {
        sluice_err("topic '%s' has %d partitions: there is no partition %lld", topic, (int)nparts, (long long)part);
        return SLUICE_FAILED;
    }
    sl_conf_t *conf = NULL;
    if ((rc = consumer_conf(ctx, group, &conf)))
        return rc;
    sl_consumer_t *c = NULL;
    char errbuf[512] = "";
    sl_err_t err = sl_consumer_new(conf, NULL, NULL, &c, errbuf, sizeof errbuf);
    sl_conf_free(conf);
    if (err) {
        sluice_err("cannot start the consumer: %s", errbuf[0] ? errbuf : sl_err_str(err));
        return err == SL_ERR_CONFIG ? SLUICE_USAGE : SLUICE_FAILED;
    }
    if (group) {
        const char *topics[1] = {topic};
        err = sl_consumer_subscribe(c, topics, 1);
    } else {
        sl_tp_offset_t *parts = calloc((size_t)nparts, sizeof *parts);
        size_t n = 0;
        for (int32_t p = 0; parts && p < nparts; p++)
            if (part < 0 || p == part)
                parts[n++] = (sl_tp_offset_t){.topic = topic, .partition = p, .offset = off, .leader_epoch = -1};
        err = parts ? sl_consumer_assign(c, parts, n) : SL_ERR_NOMEM;
        free(parts);
    }
    if (err) {
        sluice_err("cannot start reading '%s': %s (%s)", topic, sl_err_name(err), sl_err_str(err));
        sl_consumer_free(c);
        return SLUICE_FAILED;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sluice_progress_t prog;
    sluice_progress_init(&prog, "consumed");
    uint64_t count = 0;
    int64_t last = sl_time_mono_ms();
    while (!g_stop && (max < 0 || (int64_t)count < max)) {
        int wait = 200;
        if (idle >= 0) {
            int64_t left = idle - (sl_time_mono_ms() - last);
            if (left <= 0)
                break;
            wait = (int)SL_MIN(left, 200);
        }
        sl_message_t *m = NULL;
        err = sl_consumer_poll(c, wait, &m);
        if (err == SL_ERR_TIMEOUT) {
            sluice_progress(&prog, count);
            continue;
        }
        if (err) {
            sluice_err("reading '%s': %s (%s)", topic, sl_err_name(err), sl_err_str(err));
            rc = SLUICE_FAILED;
            break;
        }
        if (m->err) {
            sluice_err("reading %s-%d: %s (%s)", m->topic ? m->topic : topic, (int)m->partition, sl_err_name(m->err),
                       sl_err_str(m->err));
            bool fatal = m->err == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION || m->err == SL_ERR_OFFSET_OUT_OF_RANGE;
            sl_message_free(m);
            if (fatal) {
                rc = SLUICE_FAILED;
                break;
            }
            continue;
        }
        last = sl_time_mono_ms();
        count++;
        if (ctx->json) {
            json_t *j = sluice_message_json(m);
            if (j) {
                json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
                json_decref(j);
            }
        } else {
            sluice_format_message(stdout, fmt, m);
        }
        sl_message_free(m);
        sluice_progress(&prog, count);
    }
    fflush(stdout);
    sluice_progress_end(&prog);
    /* A member leaves its group (and commits, with auto commit) here. */
    sl_consumer_close(c);
    sl_consumer_free(c);
    fprintf(stderr, "Consumed %llu message%s from '%s'.\n", (unsigned long long)count, count == 1 ? "" : "s", topic);
    return rc;
}

static const sluice_opt_t consume_opts[] = {
    {"group", 'g', true, "GROUP: read as a member of GROUP (committing its offsets)"},
    {"from-beginning", 0, false, "start at the log start when there is no committed offset"},
    {"offset", 'o', true, "OFFSET: without a group, start at OFFSET, 'beginning' or 'end' (default end)"},
    {"partition", 'p', true, "N: without a group, read only partition N"},
    {"max", 'm', true, "N: stop after N records"},
    {"isolation", 0, true, "LEVEL: read_uncommitted (default) or read_committed"},
    {"format", 'F', true, "FMT: how to print a record: {key} {value} {topic} {partition} {offset} {timestamp} "
                          "{headers}, \\n \\t (default {value}\\n)"},
};

const sluice_cmd_t sluice_consume_cmds[] = {
    {"consume", NULL, "TOPIC [--group G] [--from-beginning] [--offset N] [--partition N] [--max N] [--timeout MS]",
     "print records of a topic (--timeout: stop after MS without one)", consume_opts, SL_ARRAY_LEN(consume_opts),
     consume},
};
const size_t sluice_consume_ncmds = SL_ARRAY_LEN(sluice_consume_cmds);
