/*
 * func_time.c - the date/time functions: TIMESTAMPTOSTRING,
 * STRINGTOTIMESTAMP (BIGINT milliseconds), FORMAT_TIMESTAMP,
 * PARSE_TIMESTAMP (TIMESTAMP) and UNIX_TIMESTAMP.
 *
 * Patterns are java.time.format.DateTimeFormatter's, zones UTC, fixed
 * offsets or tz database ids (timefmt.c). The zone defaults to UTC (ksqlDB
 * uses the server's default zone; ours is UTC). A literal pattern or zone
 * is compiled once at bind time and an invalid one refuses the call; ones
 * read from the data are compiled per call, and a bad one gives NULL with
 * the reason in the processing log, as do texts that do not parse. A NULL
 * argument gives NULL.
 */
#include <stdio.h>

#include "func_int.h"

/* What prepare keeps: the compiled pattern and zone when they are
 * literals (NULL when they come from the data). */
typedef struct time_state {
    const sl_sql_tfmt_t *fmt;
    const sl_sql_tz_t *tz;
} time_state_t;

/* Pattern argument 1, zone argument 2, in every function here. */
static sl_err_t prepare_time(sl_arena_t *arena, sl_sql_expr_t *const *args, uint32_t n, void **state, char *err,
                             size_t errlen)
{
    const sl_sql_datum_t *fmt = sl_sql_fn_const_arg(args, n, 1);
    const sl_sql_datum_t *zone = sl_sql_fn_const_arg(args, n, 2);
    time_state_t *st = sl_arena_zalloc(arena, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    char why[160];
    if (fmt && !sl_sql_datum_is_null(fmt)) {
        st->fmt = sl_sql_tfmt_compile(arena, fmt->u.s.ptr, fmt->u.s.len, why, sizeof why);
        if (!st->fmt) {
            snprintf(err, errlen, "Invalid date/time pattern '%.*s': %s", (int)SL_MIN(fmt->u.s.len, 100u),
                     fmt->u.s.ptr, why);
            return SL_ERR_INVAL;
        }
    }
    if (n < 3) {
        st->tz = sl_sql_tz_find("UTC", 3, why, sizeof why); /* no lookup per record */
    } else if (zone && !sl_sql_datum_is_null(zone)) {
        st->tz = sl_sql_tz_find(zone->u.s.ptr, zone->u.s.len, why, sizeof why);
        if (!st->tz) {
            snprintf(err, errlen, "%s", why);
            return SL_ERR_INVAL;
        }
    }
    *state = st;
    return SL_OK;
}

/* The call's pattern and zone: prepared, or compiled now from the record's
 * values into cx->arena. false with *out NULL and the error noted. */
static bool call_format(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                        const sl_sql_tfmt_t **fmt, const sl_sql_tz_t **tz, sl_sql_datum_t *out)
{
    const time_state_t *st = call->state;
    char why[160];
    *fmt = st ? st->fmt : NULL;
    *tz = st ? st->tz : NULL;
    if (!*fmt) {
        *fmt = sl_sql_tfmt_compile(cx->arena, args[1].u.s.ptr, args[1].u.s.len, why, sizeof why);
        if (!*fmt) {
            sl_sql_fn_fail(cx, out, "Invalid date/time pattern '%.*s': %s", (int)SL_MIN(args[1].u.s.len, 100u),
                           args[1].u.s.ptr, why);
            return false;
        }
    }
    if (!*tz) {
        *tz = n > 2 ? sl_sql_tz_find(args[2].u.s.ptr, args[2].u.s.len, why, sizeof why)
                    : sl_sql_tz_find("UTC", 3, why, sizeof why);
        if (!*tz) {
            sl_sql_fn_fail(cx, out, "%s", why);
            return false;
        }
    }
    return true;
}

/* TIMESTAMPTOSTRING and FORMAT_TIMESTAMP: args[0] is ms either way. */
static void eval_format(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                        sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const sl_sql_tfmt_t *fmt;
    const sl_sql_tz_t *tz;
    if (!call_format(call, args, n, cx, &fmt, &tz, out))
        return;
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, 32);
    sl_sql_tfmt_format(fmt, args[0].u.i64, tz, &sb);
    sl_sql_sb_done(&sb, cx, out);
}

/* STRINGTOTIMESTAMP (BIGINT) and PARSE_TIMESTAMP (TIMESTAMP). */
static void eval_parse(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const sl_sql_tfmt_t *fmt;
    const sl_sql_tz_t *tz;
    if (!call_format(call, args, n, cx, &fmt, &tz, out))
        return;
    int64_t ms;
    char why[200];
    if (sl_sql_tfmt_parse(fmt, args[0].u.s.ptr, args[0].u.s.len, tz, &ms, why, sizeof why) != SL_OK) {
        sl_sql_fn_fail(cx, out, "Failed to parse timestamp '%.*s' with formatter '%.*s': %s",
                       (int)SL_MIN(args[0].u.s.len, 100u), args[0].u.s.ptr, (int)SL_MIN(args[1].u.s.len, 100u),
                       args[1].u.s.ptr, why);
        return;
    }
    *out = sl_sql_bigint(ms);
    out->kind = (uint8_t)call->type->kind; /* BIGINT or TIMESTAMP: both i64 ms */
}

static void eval_unix_timestamp(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (n == 0) {
        *out = sl_sql_bigint(sl_time_wall_ms());
        return;
    }
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = sl_sql_bigint(args[0].u.i64);
}

static const sl_sql_tkind_t P_BIGINT_STR[] = {SL_SQL_T_BIGINT, SL_SQL_T_STRING};
static const sl_sql_tkind_t P_BIGINT_STR2[] = {SL_SQL_T_BIGINT, SL_SQL_T_STRING, SL_SQL_T_STRING};
static const sl_sql_tkind_t P_TS_STR[] = {SL_SQL_T_TIMESTAMP, SL_SQL_T_STRING};
static const sl_sql_tkind_t P_TS_STR2[] = {SL_SQL_T_TIMESTAMP, SL_SQL_T_STRING, SL_SQL_T_STRING};
static const sl_sql_tkind_t P_TS[] = {SL_SQL_T_TIMESTAMP};

#define TIME_OV(params, result, fn, sig, desc) \
    {params, SL_ARRAY_LEN(params), false, result, NULL, fn, prepare_time, sig, desc}

static const sl_sql_overload_t TIMESTAMPTOSTRING_O[] = {
    TIME_OV(P_BIGINT_STR, SL_SQL_T_STRING, eval_format, "TIMESTAMPTOSTRING(epochMilli BIGINT, formatPattern VARCHAR)",
            "epochMilli as text in UTC"),
    TIME_OV(P_BIGINT_STR2, SL_SQL_T_STRING, eval_format,
            "TIMESTAMPTOSTRING(epochMilli BIGINT, formatPattern VARCHAR, timeZone VARCHAR)",
            "epochMilli as text in timeZone"),
};
static const sl_sql_overload_t STRINGTOTIMESTAMP_O[] = {
    TIME_OV(SL_SQL_P_STRING2, SL_SQL_T_BIGINT, eval_parse,
            "STRINGTOTIMESTAMP(formattedTimestamp VARCHAR, formatPattern VARCHAR)",
            "the milliseconds since the epoch the text gives, read in UTC"),
    TIME_OV(SL_SQL_P_STRING3, SL_SQL_T_BIGINT, eval_parse,
            "STRINGTOTIMESTAMP(formattedTimestamp VARCHAR, formatPattern VARCHAR, timeZone VARCHAR)",
            "the milliseconds since the epoch the text gives, read in timeZone"),
};
static const sl_sql_overload_t FORMAT_TIMESTAMP_O[] = {
    TIME_OV(P_TS_STR, SL_SQL_T_STRING, eval_format, "FORMAT_TIMESTAMP(timestamp TIMESTAMP, formatPattern VARCHAR)",
            "the timestamp as text in UTC"),
    TIME_OV(P_TS_STR2, SL_SQL_T_STRING, eval_format,
            "FORMAT_TIMESTAMP(timestamp TIMESTAMP, formatPattern VARCHAR, timeZone VARCHAR)",
            "the timestamp as text in timeZone"),
};
static const sl_sql_overload_t PARSE_TIMESTAMP_O[] = {
    TIME_OV(SL_SQL_P_STRING2, SL_SQL_T_TIMESTAMP, eval_parse,
            "PARSE_TIMESTAMP(formattedTimestamp VARCHAR, formatPattern VARCHAR)", "the TIMESTAMP the text gives in UTC"),
    TIME_OV(SL_SQL_P_STRING3, SL_SQL_T_TIMESTAMP, eval_parse,
            "PARSE_TIMESTAMP(formattedTimestamp VARCHAR, formatPattern VARCHAR, timeZone VARCHAR)",
            "the TIMESTAMP the text gives in timeZone"),
};
static const sl_sql_overload_t UNIX_TIMESTAMP_O[] = {
    {NULL, 0, false, SL_SQL_T_BIGINT, NULL, eval_unix_timestamp, NULL, "UNIX_TIMESTAMP()",
     "the current time in milliseconds since the epoch"},
    SL_SQL_OV(P_TS, SL_SQL_T_BIGINT, eval_unix_timestamp, "UNIX_TIMESTAMP(timestamp TIMESTAMP)",
              "the timestamp in milliseconds since the epoch"),
};

const sl_sql_func_t sl_sql_funcs_time[] = {
    SL_SQL_FN("FORMAT_TIMESTAMP", "DATE / TIME", "Formats a TIMESTAMP with a java.time pattern.", FORMAT_TIMESTAMP_O),
    SL_SQL_FN("PARSE_TIMESTAMP", "DATE / TIME", "Parses text with a java.time pattern into a TIMESTAMP.",
              PARSE_TIMESTAMP_O),
    SL_SQL_FN("STRINGTOTIMESTAMP", "DATE / TIME",
              "Parses text with a java.time pattern into milliseconds since the epoch.", STRINGTOTIMESTAMP_O),
    SL_SQL_FN("TIMESTAMPTOSTRING", "DATE / TIME",
              "Formats milliseconds since the epoch with a java.time pattern.", TIMESTAMPTOSTRING_O),
    SL_SQL_FN("UNIX_TIMESTAMP", "DATE / TIME", "Returns the current time, or a TIMESTAMP, as epoch milliseconds.",
              UNIX_TIMESTAMP_O),
    SL_SQL_FN_END,
};
