/*
 * func_time.c - the date/time functions: TIMESTAMPTOSTRING,
 * STRINGTOTIMESTAMP (BIGINT milliseconds), FORMAT_TIMESTAMP,
 * PARSE_TIMESTAMP (TIMESTAMP), UNIX_TIMESTAMP; FORMAT_DATE, PARSE_DATE,
 * DATETOSTRING, STRINGTODATE, FORMAT_TIME, PARSE_TIME (a DATE or TIME
 * pattern may only use that value's fields, as java.time's LocalDate and
 * LocalTime), FROM_UNIXTIME, FROM_DAYS, UNIX_DATE, CONVERT_TZ; the
 * arithmetic TIMESTAMPADD / TIMESTAMPSUB, DATEADD / DATESUB, TIMEADD /
 * TIMESUB (unit, interval, value), the unit written as a bare word (DAYS,
 * HOURS, MINUTES, SECONDS, MILLISECONDS or the singular): a DATE moves by
 * whole days towards 1970 as Java's TimeUnit truncates, a TIME wraps
 * around midnight.
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
#include <string.h>
#include <strings.h>

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

/* --- DATE and TIME --------------------------------------------------------- */

static int64_t floor_div64(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* FORMAT_DATE and DATETOSTRING (days), FORMAT_TIME (ms of the day): the
 * pattern may only use the value's fields, as a LocalDate or LocalTime. */
static void format_local(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                         sl_sql_datum_t *out, int64_t ms, unsigned allowed)
{
    const sl_sql_tfmt_t *fmt;
    const sl_sql_tz_t *tz;
    if (!call_format(call, args, n, cx, &fmt, &tz, out))
        return;
    const char *bad = sl_sql_tfmt_unsupported(fmt, allowed);
    if (bad) {
        sl_sql_fn_fail(cx, out, "Failed to format with formatter '%.*s': Unsupported field: %s",
                       (int)SL_MIN(args[1].u.s.len, 100u), args[1].u.s.ptr, bad);
        return;
    }
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, 32);
    sl_sql_tfmt_format(fmt, ms, tz, &sb);
    sl_sql_sb_done(&sb, cx, out);
}

static void eval_format_date(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                             sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    format_local(call, args, n, cx, out, (int64_t)args[0].u.i32 * 86400000, SL_SQL_TF_DATE);
}

static void eval_format_time(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                             sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    format_local(call, args, n, cx, out, args[0].u.i64, SL_SQL_TF_TIME);
}

/* PARSE_DATE (DATE), STRINGTODATE (INT days), PARSE_TIME (TIME). */
static void parse_local(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
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
    if (sl_sql_tfmt_parse_local(fmt, args[0].u.s.ptr, args[0].u.s.len, &ms, why, sizeof why) != SL_OK) {
        sl_sql_fn_fail(cx, out, "Failed to parse '%.*s' with formatter '%.*s': %s",
                       (int)SL_MIN(args[0].u.s.len, 100u), args[0].u.s.ptr, (int)SL_MIN(args[1].u.s.len, 100u),
                       args[1].u.s.ptr, why);
        return;
    }
    *out = sl_sql_null();
    out->kind = (uint8_t)call->type->kind;
    if (call->type->kind == SL_SQL_T_TIME)
        out->u.i64 = ms - floor_div64(ms, 86400000) * 86400000;
    else
        out->u.i32 = (int32_t)floor_div64(ms, 86400000);
}

static void eval_from_unixtime(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                               sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = sl_sql_bigint(args[0].u.i64);
    out->kind = SL_SQL_T_TIMESTAMP;
}

static void eval_from_days(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = sl_sql_int(args[0].u.i32);
    out->kind = SL_SQL_T_DATE;
}

static void eval_unix_date(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (n == 0) {
        *out = sl_sql_int((int32_t)floor_div64(sl_time_wall_ms(), 86400000));
        return;
    }
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = sl_sql_int(args[0].u.i32);
}

/* --- CONVERT_TZ ----------------------------------------------------------------- */

typedef struct convert_state {
    const sl_sql_tz_t *from, *to;
} convert_state_t;

static sl_err_t prepare_convert_tz(sl_arena_t *arena, sl_sql_expr_t *const *args, uint32_t n, void **state,
                                   char *err, size_t errlen)
{
    convert_state_t *st = sl_arena_zalloc(arena, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    char why[160];
    for (uint32_t i = 1; i <= 2; i++) {
        const sl_sql_datum_t *z = sl_sql_fn_const_arg(args, n, i);
        if (!z || sl_sql_datum_is_null(z))
            continue;
        const sl_sql_tz_t *tz = sl_sql_tz_find(z->u.s.ptr, z->u.s.len, why, sizeof why);
        if (!tz) {
            snprintf(err, errlen, "Invalid time zone: %s", why);
            return SL_ERR_INVAL;
        }
        if (i == 1)
            st->from = tz;
        else
            st->to = tz;
    }
    *state = st;
    return SL_OK;
}

/* As ksqlDB: the two zones' offsets are both taken at the instant given. */
static void eval_convert_tz(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                            sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const convert_state_t *st = call->state;
    const sl_sql_tz_t *z[2] = {st ? st->from : NULL, st ? st->to : NULL};
    char why[160];
    for (int i = 0; i < 2; i++) {
        if (!z[i] && !(z[i] = sl_sql_tz_find(args[i + 1].u.s.ptr, args[i + 1].u.s.len, why, sizeof why))) {
            sl_sql_fn_fail(cx, out, "Invalid time zone: %s", why);
            return;
        }
    }
    int64_t ts = args[0].u.i64, secs = floor_div64(ts, 1000);
    *out = sl_sql_bigint(ts + 1000 * ((int64_t)sl_sql_tz_offset_at(z[1], secs) - sl_sql_tz_offset_at(z[0], secs)));
    out->kind = SL_SQL_T_TIMESTAMP;
}

/* --- TIMESTAMPADD and the like ------------------------------------------------- */

int64_t sl_sql_time_unit_ms(const char *p, uint32_t n)
{
    static const struct {
        const char *name;
        int64_t ms;
    } units[] = {
        {"MILLISECOND", 1}, {"SECOND", 1000}, {"MINUTE", 60000}, {"HOUR", 3600000}, {"DAY", 86400000},
    };
    if (n > 0 && (p[n - 1] == 'S' || p[n - 1] == 's'))
        n--;
    for (size_t i = 0; i < SL_ARRAY_LEN(units); i++)
        if (strlen(units[i].name) == n && strncasecmp(units[i].name, p, n) == 0)
            return units[i].ms;
    return 0;
}

/* The unit (argument 0) must be known at bind time. */
static sl_err_t prepare_unit(sl_arena_t *arena, sl_sql_expr_t *const *args, uint32_t n, void **state, char *err,
                             size_t errlen)
{
    const sl_sql_datum_t *u = sl_sql_fn_const_arg(args, n, 0);
    int64_t ms = u && u->kind == SL_SQL_T_STRING ? sl_sql_time_unit_ms(u->u.s.ptr, u->u.s.len) : 0;
    if (ms == 0) {
        snprintf(err, errlen, "The time unit must be one of DAYS, HOURS, MINUTES, SECONDS, MILLISECONDS");
        return SL_ERR_INVAL;
    }
    int64_t *st = sl_arena_alloc(arena, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    *st = ms;
    *state = st;
    return SL_OK;
}

/* unit * interval, negated for the _SUB functions; false (and NULL) when
 * it does not fit. */
static bool shift_ms(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                     sl_sql_datum_t *out, int64_t *ms)
{
    if (sl_sql_fn_null_arg(args, n, out) || !call->state)
        return false;
    int64_t d;
    if (__builtin_mul_overflow(*(const int64_t *)call->state, (int64_t)args[1].u.i32, &d)) {
        sl_sql_fn_fail(cx, out, "%s: the interval is out of range", call->func->name);
        return false;
    }
    *ms = strstr(call->func->name, "SUB") ? -d : d;
    return true;
}

static void eval_timestamp_add(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                               sl_sql_datum_t *out)
{
    int64_t d, r;
    if (!shift_ms(call, args, n, cx, out, &d))
        return;
    if (__builtin_add_overflow(args[2].u.i64, d, &r)) {
        sl_sql_fn_fail(cx, out, "%s: the result is out of range", call->func->name);
        return;
    }
    *out = sl_sql_bigint(r);
    out->kind = SL_SQL_T_TIMESTAMP;
}

static void eval_date_add(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                          sl_sql_datum_t *out)
{
    int64_t d;
    if (!shift_ms(call, args, n, cx, out, &d))
        return;
    /* Java's TimeUnit.toDays truncates towards zero. */
    int64_t days = ((int64_t)args[2].u.i32 * 86400000 + d) / 86400000;
    if (days < INT32_MIN || days > INT32_MAX) {
        sl_sql_fn_fail(cx, out, "%s: the result is out of range", call->func->name);
        return;
    }
    *out = sl_sql_int((int32_t)days);
    out->kind = SL_SQL_T_DATE;
}

static void eval_time_add(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                          sl_sql_datum_t *out)
{
    int64_t d;
    if (!shift_ms(call, args, n, cx, out, &d))
        return;
    int64_t r = (args[2].u.i64 + d % 86400000) % 86400000;
    *out = sl_sql_bigint(r < 0 ? r + 86400000 : r);
    out->kind = SL_SQL_T_TIME;
}

static const sl_sql_tkind_t P_UNIT_TS[] = {SL_SQL_T_STRING, SL_SQL_T_INT, SL_SQL_T_TIMESTAMP};
static const sl_sql_tkind_t P_UNIT_DATE[] = {SL_SQL_T_STRING, SL_SQL_T_INT, SL_SQL_T_DATE};
static const sl_sql_tkind_t P_UNIT_TIME[] = {SL_SQL_T_STRING, SL_SQL_T_INT, SL_SQL_T_TIME};

#define UNIT_OV(params, result, fn, sig, desc) \
    {params, SL_ARRAY_LEN(params), false, result, NULL, fn, prepare_unit, sig, desc}

static const sl_sql_overload_t TIMESTAMPADD_O[] = {
    UNIT_OV(P_UNIT_TS, SL_SQL_T_TIMESTAMP, eval_timestamp_add,
            "TIMESTAMPADD(unit TIME_UNIT, interval INT, timestamp TIMESTAMP)", "the timestamp interval units later"),
};
static const sl_sql_overload_t TIMESTAMPSUB_O[] = {
    UNIT_OV(P_UNIT_TS, SL_SQL_T_TIMESTAMP, eval_timestamp_add,
            "TIMESTAMPSUB(unit TIME_UNIT, interval INT, timestamp TIMESTAMP)", "the timestamp interval units earlier"),
};
static const sl_sql_overload_t DATEADD_O[] = {
    UNIT_OV(P_UNIT_DATE, SL_SQL_T_DATE, eval_date_add, "DATEADD(unit TIME_UNIT, interval INT, date DATE)",
            "the date interval units later (whole days)"),
};
static const sl_sql_overload_t DATESUB_O[] = {
    UNIT_OV(P_UNIT_DATE, SL_SQL_T_DATE, eval_date_add, "DATESUB(unit TIME_UNIT, interval INT, date DATE)",
            "the date interval units earlier (whole days)"),
};
static const sl_sql_overload_t TIMEADD_O[] = {
    UNIT_OV(P_UNIT_TIME, SL_SQL_T_TIME, eval_time_add, "TIMEADD(unit TIME_UNIT, interval INT, time TIME)",
            "the time of day interval units later, around midnight"),
};
static const sl_sql_overload_t TIMESUB_O[] = {
    UNIT_OV(P_UNIT_TIME, SL_SQL_T_TIME, eval_time_add, "TIMESUB(unit TIME_UNIT, interval INT, time TIME)",
            "the time of day interval units earlier, around midnight"),
};

#define UNIT_FN(name, desc, ov) \
    {name, SL_SQL_F_SCALAR, "DATE / TIME", desc, ov, SL_ARRAY_LEN(ov), NULL, NULL, NULL, NULL, true}

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
            "PARSE_TIMESTAMP(formattedTimestamp VARCHAR, formatPattern VARCHAR)",
            "the TIMESTAMP the text gives in UTC"),
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

static const sl_sql_tkind_t P_DATE_STR[] = {SL_SQL_T_DATE, SL_SQL_T_STRING};
static const sl_sql_tkind_t P_INT_STR[] = {SL_SQL_T_INT, SL_SQL_T_STRING};
static const sl_sql_tkind_t P_TIME_STR[] = {SL_SQL_T_TIME, SL_SQL_T_STRING};
static const sl_sql_tkind_t P_DATE[] = {SL_SQL_T_DATE};
static const sl_sql_tkind_t P_TS_STR_STR[] = {SL_SQL_T_TIMESTAMP, SL_SQL_T_STRING, SL_SQL_T_STRING};

static const sl_sql_overload_t FORMAT_DATE_O[] = {
    TIME_OV(P_DATE_STR, SL_SQL_T_STRING, eval_format_date, "FORMAT_DATE(date DATE, formatPattern VARCHAR)",
            "the date as text"),
};
static const sl_sql_overload_t DATETOSTRING_O[] = {
    TIME_OV(P_INT_STR, SL_SQL_T_STRING, eval_format_date, "DATETOSTRING(epochDays INT, formatPattern VARCHAR)",
            "the date epochDays days after 1970-01-01 as text"),
};
static const sl_sql_overload_t FORMAT_TIME_O[] = {
    TIME_OV(P_TIME_STR, SL_SQL_T_STRING, eval_format_time, "FORMAT_TIME(time TIME, formatPattern VARCHAR)",
            "the time of day as text"),
};
static const sl_sql_overload_t PARSE_DATE_O[] = {
    TIME_OV(SL_SQL_P_STRING2, SL_SQL_T_DATE, parse_local, "PARSE_DATE(formattedDate VARCHAR, formatPattern VARCHAR)",
            "the DATE the text gives"),
};
static const sl_sql_overload_t STRINGTODATE_O[] = {
    TIME_OV(SL_SQL_P_STRING2, SL_SQL_T_INT, parse_local,
            "STRINGTODATE(formattedDate VARCHAR, formatPattern VARCHAR)", "the days since 1970-01-01 the text gives"),
};
static const sl_sql_overload_t PARSE_TIME_O[] = {
    TIME_OV(SL_SQL_P_STRING2, SL_SQL_T_TIME, parse_local, "PARSE_TIME(formattedTime VARCHAR, formatPattern VARCHAR)",
            "the TIME the text gives"),
};
static const sl_sql_overload_t FROM_UNIXTIME_O[] = {
    SL_SQL_OV(SL_SQL_P_BIGINT, SL_SQL_T_TIMESTAMP, eval_from_unixtime, "FROM_UNIXTIME(epochMilli BIGINT)",
              "the TIMESTAMP of epochMilli"),
};
static const sl_sql_overload_t FROM_DAYS_O[] = {
    SL_SQL_OV(SL_SQL_P_INT, SL_SQL_T_DATE, eval_from_days, "FROM_DAYS(days INT)", "the DATE days after 1970-01-01"),
};
static const sl_sql_overload_t UNIX_DATE_O[] = {
    {NULL, 0, false, SL_SQL_T_INT, NULL, eval_unix_date, NULL, "UNIX_DATE()", "today as days since 1970-01-01"},
    SL_SQL_OV(P_DATE, SL_SQL_T_INT, eval_unix_date, "UNIX_DATE(date DATE)", "date as days since 1970-01-01"),
};
static const sl_sql_overload_t CONVERT_TZ_O[] = {
    {P_TS_STR_STR, 3, false, SL_SQL_T_TIMESTAMP, NULL, eval_convert_tz, prepare_convert_tz,
     "CONVERT_TZ(timestamp TIMESTAMP, fromTimeZone VARCHAR, toTimeZone VARCHAR)",
     "the timestamp's wall time moved from one zone to another"},
};

const sl_sql_func_t sl_sql_funcs_time[] = {
    SL_SQL_FN("CONVERT_TZ", "DATE / TIME", "Converts a TIMESTAMP from one time zone to another.", CONVERT_TZ_O),
    SL_SQL_FN("DATETOSTRING", "DATE / TIME", "Formats days since the epoch with a java.time pattern.",
              DATETOSTRING_O),
    SL_SQL_FN("FORMAT_DATE", "DATE / TIME", "Formats a DATE with a java.time pattern.", FORMAT_DATE_O),
    SL_SQL_FN("FORMAT_TIME", "DATE / TIME", "Formats a TIME with a java.time pattern.", FORMAT_TIME_O),
    SL_SQL_FN("FROM_DAYS", "DATE / TIME", "Turns days since the epoch into a DATE.", FROM_DAYS_O),
    SL_SQL_FN("FROM_UNIXTIME", "DATE / TIME", "Turns milliseconds since the epoch into a TIMESTAMP.",
              FROM_UNIXTIME_O),
    SL_SQL_FN("PARSE_DATE", "DATE / TIME", "Parses text with a java.time pattern into a DATE.", PARSE_DATE_O),
    SL_SQL_FN("PARSE_TIME", "DATE / TIME", "Parses text with a java.time pattern into a TIME.", PARSE_TIME_O),
    SL_SQL_FN("STRINGTODATE", "DATE / TIME", "Parses text with a java.time pattern into days since the epoch.",
              STRINGTODATE_O),
    SL_SQL_FN("UNIX_DATE", "DATE / TIME", "Returns today, or a DATE, as days since the epoch.", UNIX_DATE_O),
    SL_SQL_FN("FORMAT_TIMESTAMP", "DATE / TIME", "Formats a TIMESTAMP with a java.time pattern.", FORMAT_TIMESTAMP_O),
    SL_SQL_FN("PARSE_TIMESTAMP", "DATE / TIME", "Parses text with a java.time pattern into a TIMESTAMP.",
              PARSE_TIMESTAMP_O),
    SL_SQL_FN("STRINGTOTIMESTAMP", "DATE / TIME",
              "Parses text with a java.time pattern into milliseconds since the epoch.", STRINGTOTIMESTAMP_O),
    SL_SQL_FN("TIMESTAMPTOSTRING", "DATE / TIME",
              "Formats milliseconds since the epoch with a java.time pattern.", TIMESTAMPTOSTRING_O),
    SL_SQL_FN("UNIX_TIMESTAMP", "DATE / TIME", "Returns the current time, or a TIMESTAMP, as epoch milliseconds.",
              UNIX_TIMESTAMP_O),
    UNIT_FN("DATEADD", "Adds a duration to a DATE.", DATEADD_O),
    UNIT_FN("DATESUB", "Subtracts a duration from a DATE.", DATESUB_O),
    UNIT_FN("TIMEADD", "Adds a duration to a TIME.", TIMEADD_O),
    UNIT_FN("TIMESUB", "Subtracts a duration from a TIME.", TIMESUB_O),
    UNIT_FN("TIMESTAMPADD", "Adds a duration to a TIMESTAMP.", TIMESTAMPADD_O),
    UNIT_FN("TIMESTAMPSUB", "Subtracts a duration from a TIMESTAMP.", TIMESTAMPSUB_O),
    SL_SQL_FN_END,
};
