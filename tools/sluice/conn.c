/*
 * conn.c - how `sluice` reaches the cluster (bootstrap from -b, then
 * $SLUICE_BOOTSTRAP, then localhost:9092; client settings from -X) and how
 * it says what went wrong: what was tried, why it failed, what to do.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

void sluice_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sluice: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int sluice_conf(sluice_ctx_t *ctx)
{
    ctx->conf = sl_conf_new();
    if (!ctx->conf) {
        sluice_err("out of memory");
        return SLUICE_FAILED;
    }
    char errbuf[512];
    if (sl_conf_set(ctx->conf, "bootstrap.servers", ctx->bootstrap, errbuf, sizeof errbuf) != SL_OK)
        return sluice_usage(ctx, "bad bootstrap address '%s': %s", ctx->bootstrap, errbuf);
    if (sl_conf_set(ctx->conf, "client.id", "sluice", errbuf, sizeof errbuf) != SL_OK)
        return sluice_usage(ctx, "%s", errbuf);
    size_t it = 0;
    const char *kv;
    while ((kv = sluice_arg_next(ctx->args, "property", &it))) {
        char *key;
        const char *value;
        if (!sluice_parse_kv(kv, &key, &value))
            return sluice_usage(ctx, "-X wants KEY=VALUE, not '%s'", kv);
        sl_err_t err = sl_conf_set(ctx->conf, key, value, errbuf, sizeof errbuf);
        free(key);
        if (err)
            return sluice_usage(ctx, "-X %s: %s", kv, errbuf);
    }
    return SLUICE_OK;
}

sl_admin_t *sluice_admin(sluice_ctx_t *ctx)
{
    if (ctx->admin)
        return ctx->admin;
    char errbuf[512] = "";
    sl_err_t err = sl_admin_new(ctx->conf, &ctx->admin, errbuf, sizeof errbuf);
    if (err) {
        sluice_err("cannot start the admin client for %s: %s", ctx->bootstrap, errbuf[0] ? errbuf : sl_err_str(err));
        ctx->admin = NULL;
    }
    return ctx->admin;
}

int sluice_fail(sluice_ctx_t *ctx, sl_err_t err, const char *fmt, ...)
{
    char doing[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(doing, sizeof doing, fmt, ap);
    va_end(ap);
    char why[512] = "";
    if (ctx->admin)
        sl_admin_last_error(ctx->admin, why, sizeof why);
    if (why[0])
        fprintf(stderr, "sluice: %s: %s\n", doing, why);
    else
        fprintf(stderr, "sluice: %s: %s (%s)\n", doing, sl_err_name(err), sl_err_str(err));
    bool unreachable = err == SL_ERR_TIMEOUT || err == SL_ERR_NETWORK_EXCEPTION || strstr(why, "NETWORK_EXCEPTION");
    if (unreachable)
        fprintf(stderr,
                "  No broker answered at %s within %d ms. Check that a broker runs there, or pass\n"
                "  -b HOST:PORT (or set SLUICE_BOOTSTRAP); --timeout MS waits longer.\n",
                ctx->bootstrap, ctx->timeout_ms);
    else if (err == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION)
        fprintf(stderr, "  The topic or partition does not exist: see `%s topics list` and `%s topics describe`.\n",
                ctx->prog, ctx->prog);
    else if (err == SL_ERR_GROUP_ID_NOT_FOUND)
        fprintf(stderr, "  The group does not exist: see `%s groups list`.\n", ctx->prog);
    return SLUICE_FAILED;
}

int sluice_collect_configs(sluice_ctx_t *ctx, const char *opt, sl_config_entry_t **out, size_t *n)
{
    size_t cap = 0, it = 0;
    const char *kv;
    while (sluice_arg_next(ctx->args, opt, &it))
        cap++;
    *out = calloc(cap ? cap : 1, sizeof **out);
    *n = 0;
    if (!*out) {
        sluice_err("out of memory");
        return SLUICE_FAILED;
    }
    it = 0;
    while ((kv = sluice_arg_next(ctx->args, opt, &it))) {
        char *key;
        const char *value;
        if (!sluice_parse_kv(kv, &key, &value))
            return sluice_usage(ctx, "--%s wants NAME=VALUE, not '%s'", opt, kv);
        (*out)[(*n)++].name = key;   /* value points into key's allocation */
        (*out)[*n - 1].value = value;
    }
    return SLUICE_OK;
}

void sluice_free_entries(sl_config_entry_t *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++)
        free((char *)e[i].name);
    free(e);
}

int sluice_usage(sluice_ctx_t *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sluice: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fprintf(stderr, "  Run `%s --help` for the commands and their options.\n", ctx->prog);
    return SLUICE_USAGE;
}

int sluice_topic_partitions(sluice_ctx_t *ctx, const char *topic, int32_t *count)
{
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    const char *names[1] = {topic};
    sl_topic_desc_t *d;
    size_t n;
    sl_err_t err = sl_admin_describe_topics(a, names, 1, &arena, &d, &n, ctx->timeout_ms);
    if (!err && n == 1 && d[0].err)
        err = d[0].err;
    if (!err)
        *count = (int32_t)d[0].partition_count;
    sl_arena_fini(&arena);
    if (err)
        return sluice_fail(ctx, err, "looking up topic '%s'", topic);
    return SLUICE_OK;
}

void sluice_ctx_fini(sluice_ctx_t *ctx)
{
    sl_admin_free(ctx->admin);
    sl_conf_free(ctx->conf);
    ctx->admin = NULL;
    ctx->conf = NULL;
}
