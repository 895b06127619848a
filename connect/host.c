/*
 * host.c - the function table plugins are given (connector.h's
 * sl_connect_host_t): logging and errors through a ctx, config and offset
 * reads, task config output, source batches (records, their strings and
 * headers copied into the batch's memory), and the value constructors of
 * value.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect_int.h"

sl_connect_ctx_t *sl_connect_ctx_new(const char *name, const char *connector, sl_props_t *config,
                                     sl_connect_offset_store_t *offsets)
{
    sl_connect_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (!ctx || !(ctx->name = strdup(name)) || !(ctx->connector = strdup(connector))) {
        sl_connect_ctx_free(ctx);
        sl_props_free(config);
        return NULL;
    }
    ctx->config = config;
    ctx->offsets = offsets;
    return ctx;
}

void sl_connect_ctx_free(sl_connect_ctx_t *ctx)
{
    if (!ctx)
        return;
    free(ctx->name);
    free(ctx->connector);
    free(ctx->offset_last);
    sl_props_free(ctx->config);
    free(ctx);
}

static void host_log(sl_connect_ctx_t *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void host_log(sl_connect_ctx_t *ctx, int level, const char *fmt, ...)
{
    if (level < SL_CONNECT_LOG_DEBUG || level > SL_CONNECT_LOG_ERROR ||
        (sl_log_level_t)level < sl_log_get_level())
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    sl_log_write((sl_log_level_t)level, "connect", "%s%s%s", ctx ? ctx->name : "",
                 ctx ? ": " : "", line);
}

static void host_set_error(sl_connect_ctx_t *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void host_set_error(sl_connect_ctx_t *ctx, const char *fmt, ...)
{
    if (!ctx)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
    va_end(ap);
}

static const char *host_config_get(sl_connect_ctx_t *ctx, const char *key)
{
    return ctx && ctx->config ? sl_props_get(ctx->config, key) : NULL;
}

static int64_t host_config_int(sl_connect_ctx_t *ctx, const char *key, int64_t def)
{
    const char *v = host_config_get(ctx, key);
    if (!v)
        return def;
    char *end;
    long long n = strtoll(v, &end, 10);
    return (*v && !*end) ? (int64_t)n : def;
}

static const char *host_offset_get(sl_connect_ctx_t *ctx, const char *partition)
{
    if (!ctx || !ctx->offsets || !partition)
        return NULL;
    free(ctx->offset_last);
    ctx->offset_last = ctx->offsets->ops->get(ctx->offsets, ctx->connector, partition);
    return ctx->offset_last;
}

static int host_taskcfg_put(sl_connect_taskcfgs_t *out, int task, const char *key,
                            const char *value)
{
    if (!out || !key || !value || task < 0 || task >= out->max || task > out->count)
        return SL_CONNECT_EINVAL;
    if (task == out->count) {
        if (!(out->cfgs[task] = sl_props_new()))
            return SL_CONNECT_ENOMEM;
        out->count++;
    }
    return sl_props_set(out->cfgs[task], key, value, 0) ? SL_CONNECT_ENOMEM : SL_CONNECT_OK;
}

static sl_connect_mem_t *host_batch_mem(sl_connect_batch_t *batch)
{
    return batch ? batch->mem : NULL;
}

static const char *mem_str(sl_connect_mem_t *mem, const char *s)
{
    return s ? sl_arena_strndup(&mem->arena, s, strlen(s)) : NULL;
}

/* Copies rec's headers into mem (ABI 2): the plugin's may be on its stack. */
static int copy_headers(sl_connect_mem_t *mem, const sl_connect_record_t *rec,
                        sl_connect_record_t *r)
{
    r->headers = NULL;
    r->header_count = 0;
    if (!rec->header_count)
        return SL_CONNECT_OK;
    if (!rec->headers)
        return SL_CONNECT_EINVAL;
    sl_connect_header_t *hs = sl_arena_calloc(&mem->arena, rec->header_count, sizeof(*hs));
    if (!hs)
        return SL_CONNECT_ENOMEM;
    for (size_t i = 0; i < rec->header_count; i++) {
        const sl_connect_header_t *h = &rec->headers[i];
        if (!h->key)
            return SL_CONNECT_EINVAL;
        hs[i].key = mem_str(mem, h->key);
        hs[i].value_len = h->value ? h->value_len : 0;
        /* A zero-length value keeps a non-NULL pointer: NULL means a null. */
        hs[i].value = h->value ? sl_arena_memdup(&mem->arena, h->value_len ? h->value : "",
                                                 h->value_len ? h->value_len : 1) : NULL;
        if (!hs[i].key || (h->value && !hs[i].value))
            return SL_CONNECT_ENOMEM;
    }
    r->headers = hs;
    r->header_count = rec->header_count;
    return SL_CONNECT_OK;
}

static int host_batch_add(sl_connect_batch_t *batch, const sl_connect_record_t *rec)
{
    if (!batch || !rec || !rec->topic || !rec->source_partition || !rec->source_offset)
        return SL_CONNECT_EINVAL;
    sl_connect_record_t *n = sl_connect_array_grow(batch->recs, batch->count, &batch->cap,
                                                   sizeof(*n), 64);
    if (!n)
        return SL_CONNECT_ENOMEM;
    batch->recs = n;
    sl_connect_record_t *r = &batch->recs[batch->count];
    *r = *rec;
    r->topic = mem_str(batch->mem, rec->topic);
    r->source_partition = mem_str(batch->mem, rec->source_partition);
    r->source_offset = mem_str(batch->mem, rec->source_offset);
    if (!r->topic || !r->source_partition || !r->source_offset)
        return SL_CONNECT_ENOMEM;
    int rc = copy_headers(batch->mem, rec, r);
    if (rc)
        return rc;
    batch->count++;
    return SL_CONNECT_OK;
}

static const sl_connect_host_t host_table = {
    .abi_version = SL_CONNECT_ABI_VERSION,
    .log = host_log,
    .set_error = host_set_error,
    .config_get = host_config_get,
    .config_int = host_config_int,
    .offset_get = host_offset_get,
    .taskcfg_put = host_taskcfg_put,
    .batch_mem = host_batch_mem,
    .batch_add = host_batch_add,
    .val_null = sl_connect_val_null,
    .val_bool = sl_connect_val_bool,
    .val_int = sl_connect_val_int,
    .val_float = sl_connect_val_float,
    .val_string = sl_connect_val_string,
    .val_bytes = sl_connect_val_bytes,
    .val_new = sl_connect_val_new,
    .val_put = sl_connect_val_put,
    .struct_get = sl_connect_struct_get,
    .schema_new = sl_connect_schema_new,
    .schema_add_field = sl_connect_schema_add_field,
    .schema_set_items = sl_connect_schema_set_items,
};

const sl_connect_host_t *sl_connect_host(void)
{
    return &host_table;
}
