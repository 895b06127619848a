/*
 * ctx.c - sl_ctx_t, what every user function and operator gets: the
 * record's metadata, the record's memory (one arena, reset when the record
 * is done, JSON references released with it), depth-first forwarding along
 * the current node's child pointers, emit for flat mappers, failures,
 * stores and punctuator scheduling.
 */
#include <stdio.h>
#include <string.h>

#include "core_int.h"

void sl_ctx_init(sl_ctx_t *ctx, sl_task_t *task, int32_t partition)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->task = task;
    ctx->partition = partition;
    ctx->offset = -1;
    ctx->ts = -1;
    sl_arena_init(&ctx->arena, 16384, 0);
}

void sl_ctx_fini(sl_ctx_t *ctx)
{
    sl_serde_release(&ctx->arena);
    sl_arena_fini(&ctx->arena);
}

void sl_ctx_end_record(sl_ctx_t *ctx)
{
    sl_serde_release(&ctx->arena);
    sl_arena_reset(&ctx->arena);
    ctx->err = SL_OK;
    ctx->errmsg[0] = '\0';
    ctx->cur = NULL;
    ctx->emit_key = NULL;
}

const char *sl_ctx_topic(const sl_ctx_t *ctx)
{
    return ctx->topic;
}

int32_t sl_ctx_partition(const sl_ctx_t *ctx)
{
    return ctx->partition;
}

int64_t sl_ctx_offset(const sl_ctx_t *ctx)
{
    return ctx->offset;
}

int64_t sl_ctx_timestamp(const sl_ctx_t *ctx)
{
    return ctx->ts;
}

const sl_header_t *sl_ctx_headers(const sl_ctx_t *ctx, size_t *n)
{
    if (n != NULL)
        *n = ctx->n_headers;
    return ctx->headers;
}

const char *sl_ctx_task_id(const sl_ctx_t *ctx)
{
    return sl_task_id(ctx->task);
}

const char *sl_ctx_application_id(const sl_ctx_t *ctx)
{
    return sl_task_app_id(ctx->task);
}

int64_t sl_ctx_stream_time(const sl_ctx_t *ctx)
{
    return sl_task_stream_time(ctx->task);
}

int64_t sl_ctx_wall_clock(const sl_ctx_t *ctx)
{
    return sl_task_wall_clock(ctx->task);
}

void *sl_ctx_alloc(sl_ctx_t *ctx, size_t n)
{
    return sl_arena_alloc(&ctx->arena, n);
}

sl_arena_t *sl_ctx_arena(sl_ctx_t *ctx)
{
    return &ctx->arena;
}

void sl_pnode_forward(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                      const sl_val_t *old)
{
    sl_pnode_t *saved = ctx->cur;
    sl_pnode_t *const *c = pn->children;
    size_t n = pn->n_children;
    for (size_t i = 0; i < n && SL_LIKELY(ctx->err == SL_OK); i++) {
        ctx->cur = c[i];
        c[i]->ops->process(c[i], ctx, key, value, old);
    }
    ctx->cur = saved;
}

void sl_ctx_forward(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value)
{
    if (ctx->cur != NULL)
        sl_pnode_forward(ctx->cur, ctx, key, value, NULL);
}

void sl_ctx_forward_ts(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, int64_t timestamp)
{
    int64_t saved = ctx->ts;
    ctx->ts = timestamp;
    sl_ctx_forward(ctx, key, value);
    ctx->ts = saved;
}

sl_err_t sl_ctx_forward_to(sl_ctx_t *ctx, const char *child, const sl_val_t *key, const sl_val_t *value)
{
    sl_pnode_t *pn = ctx->cur;
    if (pn == NULL || child == NULL)
        return SL_ERR_NOENT;
    for (size_t i = 0; i < pn->n_children; i++) {
        sl_pnode_t *c = pn->children[i];
        if (strcmp(c->node->name, child) != 0)
            continue;
        ctx->cur = c;
        c->ops->process(c, ctx, key, value, NULL);
        ctx->cur = pn;
        return SL_OK;
    }
    return SL_ERR_NOENT;
}

void sl_ctx_emit(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value)
{
    sl_ctx_forward(ctx, key, value);
}

void sl_ctx_emit_value(sl_ctx_t *ctx, const sl_val_t *value)
{
    sl_ctx_forward(ctx, ctx->emit_key, value);
}

sl_err_t sl_pnode_get(sl_ctx_t *ctx, const sl_node_t *node, const sl_val_t *key, sl_val_t *out)
{
    sl_pnode_t *pn = sl_task_pnode(ctx->task, node);
    if (pn == NULL || pn->ops == NULL || pn->ops->get == NULL)
        return SL_ERR_INVAL;
    /* The getter runs as its own node (its stores are its own). */
    sl_pnode_t *saved = ctx->cur;
    ctx->cur = pn;
    sl_err_t err = pn->ops->get(pn, ctx, key, out);
    ctx->cur = saved;
    return err;
}

sl_punct_t *sl_ctx_schedule(sl_ctx_t *ctx, int64_t interval_ms, sl_punct_type_t type, sl_punctuator_fn *fn,
                            void *arg)
{
    if (ctx == NULL || !ctx->in_init || ctx->cur == NULL || interval_ms <= 0 || fn == NULL ||
        (type != SL_PUNCT_STREAM_TIME && type != SL_PUNCT_WALL_CLOCK))
        return NULL;
    return sl_task_schedule(ctx->task, ctx->cur, interval_ms, type, fn, arg);
}

void sl_ctx_cancel(sl_ctx_t *ctx, sl_punct_t *punct)
{
    SL_UNUSED(ctx);
    if (punct != NULL)
        punct->cancelled = true;
}

void sl_ctx_commit(sl_ctx_t *ctx)
{
    ctx->commit = true;
}

sl_store_t *sl_ctx_store(sl_ctx_t *ctx, const char *name)
{
    if (ctx == NULL || name == NULL)
        return NULL;
    return sl_task_store_for(ctx->task, ctx->cur, name);
}

void sl_ctx_set_timestamp(sl_ctx_t *ctx, int64_t ts)
{
    ctx->ts = ts;
}

sl_pnode_t *sl_ctx_pnode(sl_ctx_t *ctx)
{
    return ctx->cur;
}

void sl_ctx_fail(sl_ctx_t *ctx, sl_err_t err, const char *fmt, ...)
{
    if (ctx->err != SL_OK)
        return;
    ctx->err = err != SL_OK ? err : SL_ERR_INVAL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
    va_end(ap);
}
