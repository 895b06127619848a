/*
 * lower_sink.c - SINK: a persistent query's topic, or a push query's
 * caller.
 *
 * A persistent sink writes with the sink codecs' serdes (windowed keys
 * through Kafka's windowed key layout: the key's bytes then the window
 * start, or end then start for sessions); a table's changes go out with
 * deletes as tombstones. A keyless sink writes null keys. A transient sink
 * is a foreach calling env->emit_row with the window bounds of windowed
 * keys (-1 when not windowed); a stream's null values are not emitted
 * (ksqlDB's push queries skip them), a table's are (deletes).
 */
#include <string.h>

#include "lower_int.h"

typedef struct sink_arg {
    const sl_sql_lower_env_t *env;
    bool table;
    bool session;
} sink_arg_t;

/* A session's row (and the delete of a session merged away) carries the
 * session's end as its time, as Kafka Streams stamps them. */
static int64_t row_time(sl_ctx_t *ctx, const sl_val_t *key, bool session)
{
    if (session && key != NULL && key->type == SL_V_WINDOWED)
        return key->u.win.end;
    return sl_ctx_timestamp(ctx);
}

static void emit_rows(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const sink_arg_t *a = arg;
    if (!a->table && sl_val_is_null(value))
        return;
    int64_t ws = -1, we = -1;
    if (key != NULL && key->type == SL_V_WINDOWED) {
        ws = key->u.win.start;
        we = key->u.win.end;
    }
    if (a->env->emit_row != NULL)
        a->env->emit_row(sl_lower_row(key), sl_lower_row(value), row_time(ctx, key, a->session), ws, we,
                         a->env->emit_arg);
}

typedef struct prep_arg {
    const sl_sql_codec_t *kc, *vc;  /* NULL: the side is never null by format */
    bool drop_key;
    bool session;
} prep_arg_t;

/* What the sink's codecs write as a Kafka null (no key columns, a bare
 * NULL in a one-column format) becomes a null key / tombstone: the codec
 * serdes cannot write a null. */
static void sink_prep(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const prep_arg_t *a = arg;
    sl_val_t k = key != NULL ? *key : sl_val_null(), v = value != NULL ? *value : sl_val_null();
    if (a->drop_key || (a->kc != NULL && k.type == SL_V_PTR && sl_sql_codec_is_null(a->kc, k.u.ptr)))
        k = sl_val_null();
    if (a->vc != NULL && v.type == SL_V_PTR && sl_sql_codec_is_null(a->vc, v.u.ptr))
        v = sl_val_null();
    sl_ctx_forward_ts(ctx, &k, &v, row_time(ctx, key, a->session));
}

static const sl_serde_t *key_serde(sl_lower_ctx_t *lc, const sl_sql_plan_t *p)
{
    if (p->out.n_key == 0 || p->sink_key_codec == NULL)
        return SL_BYTES; /* keys are null */
    const sl_serde_t *inner = sl_sql_codec_serde((sl_sql_codec_t *)p->sink_key_codec);
    if (inner == NULL || p->window.kind == SL_SQL_WIN_NONE)
        return inner;
    sl_windowed_serde_t *w = sl_lower_alloc(lc, sizeof(*w));
    if (w == NULL)
        return NULL;
    int64_t size = p->window.kind == SL_SQL_WIN_SESSION ? 0 : p->window.size_ms;
    return sl_serde_windowed_init(w, inner, size, p->window.kind == SL_SQL_WIN_SESSION);
}

sl_lw_t sl_lower_sink(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in)
{
    const char *base = p->id != NULL ? p->id : "KsqlTopic/Sink";
    sl_stream_t *s = in.s;
    if (in.t != NULL)
        s = sl_table_to_stream(in.t, sl_lower_name(lc, base, "to-stream"));
    if (s == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "the sink has no input");
    sink_arg_t *a = sl_lower_alloc(lc, sizeof(*a));
    if (a == NULL)
        return (sl_lw_t){0};
    a->env = lc->env;
    a->table = in.t != NULL;
    a->session = p->window.kind == SL_SQL_WIN_SESSION;
    sl_lw_t out = {0};
    out.p = p;
    out.s = s;
    if (p->topic == NULL) {
        if (sl_stream_foreach(s, sl_lower_name(lc, base, "emit"), emit_rows, a) != SL_OK)
            return sl_lower_fail(lc, SL_ERR_INVAL, "cannot lower the push query's output");
        return out;
    }
    if (p->sink_value_codec == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "the sink to %s has no value codec", p->topic);
    prep_arg_t *pa = sl_lower_alloc(lc, sizeof(*pa));
    if (pa == NULL)
        return (sl_lw_t){0};
    pa->drop_key = p->out.n_key == 0 || p->sink_key_codec == NULL;
    pa->kc = pa->drop_key ? NULL : p->sink_key_codec;
    pa->vc = p->sink_value_codec;
    pa->session = a->session;
    s = sl_stream_flat_map_values(s, sl_lower_name(lc, base, "prepare"), sink_prep, pa);
    const sl_serde_t *ks = key_serde(lc, p);
    const sl_serde_t *vs = sl_sql_codec_serde((sl_sql_codec_t *)p->sink_value_codec);
    if (ks == NULL || vs == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "the sink to %s has no serdes", p->topic);
    if (sl_stream_to(s, sl_lower_name(lc, base, NULL), p->topic, ks, vs, NULL, NULL) != SL_OK)
        return sl_lower_fail(lc, SL_ERR_INVAL, "cannot write to %s", p->topic);
    return out;
}
