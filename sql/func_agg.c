/*
 * func_agg.c - the aggregate functions' group for the registry
 * (sl_sql_funcs_agg: names, descriptions, signatures for DESCRIBE FUNCTION)
 * and the helpers the behaviours in func_agg_*.c share.
 */
#include <stdio.h>
#include <string.h>

#include "func_agg_int.h"

sl_err_t sl_sql_agg_nomem(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return SL_ERR_NOMEM;
}

sl_err_t sl_sql_agg_refuse(const char *name, const sl_sql_type_t *const *arg_types, uint32_t n_args,
                           const sl_sql_datum_t *consts, uint32_t n_consts, char *err, size_t errlen)
{
    char list[256];
    size_t at = 0;
    list[0] = '\0';
    for (uint32_t i = 0; i < n_args + n_consts && at + 1 < sizeof list; i++) {
        char t[96];
        const char *s;
        if (i < n_args) {
            s = sl_sql_type_str(arg_types[i], t, sizeof t);
        } else {
            const sl_sql_type_t *ct = sl_sql_type_of((sl_sql_tkind_t)consts[i - n_args].kind);
            s = ct ? sl_sql_type_str(ct, t, sizeof t) : "DECIMAL";
            if (consts[i - n_args].kind == SL_SQL_T_NULL)
                s = "NULL";
        }
        int w = snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", s);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    /* ksqlDB's sentence: the signatures that exist, one a line */
    char alts[1024];
    size_t n = 0;
    alts[0] = '\0';
    for (const sl_sql_func_t *f = sl_sql_funcs_agg; f->name && n == 0; f++) {
        if (strcmp(f->name, name) != 0 || !f->agg_signatures)
            continue;
        for (const char *p = f->agg_signatures; *p && n + 2 < sizeof alts; p++) {
            if (p[0] == ',' && p[1] == ' ' && p > f->agg_signatures && p[-1] == ')') {
                alts[n++] = '\n';
                p++;
                continue;
            }
            alts[n++] = *p;
        }
        alts[n] = '\0';
    }
    if (err && errlen)
        snprintf(err, errlen,
                 "Function '%s' does not accept parameters (%s).\nValid alternatives are:\n%s\n"
                 "For detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;",
                 name, list, alts);
    return SL_ERR_INVAL;
}

bool sl_sql_agg_kind_in(const sl_sql_type_t *t, const sl_sql_tkind_t *kinds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t->kind == kinds[i])
            return true;
    }
    return false;
}

bool sl_sql_agg_const_int(const sl_sql_datum_t *d, int64_t *out)
{
    if (d->kind == SL_SQL_T_INT) {
        *out = d->u.i32;
        return true;
    }
    if (d->kind == SL_SQL_T_BIGINT) {
        *out = d->u.i64;
        return true;
    }
    return false;
}

bool sl_sql_agg_array(sl_arena_t *arena, const sl_sql_datum_t *src, uint32_t n_copy, uint32_t n,
                      sl_sql_datum_t *out)
{
    sl_sql_datum_t *items = NULL;
    if (n) {
        items = sl_arena_calloc(arena, n, sizeof *items);
        if (!items)
            return false;
        if (n_copy)
            memcpy(items, src, (size_t)n_copy * sizeof *items);
    }
    *out = sl_sql_null();
    out->kind = SL_SQL_T_ARRAY;
    out->u.a.items = items;
    out->u.a.n = n;
    return true;
}

const sl_sql_type_t *sl_sql_agg_pair_type(sl_arena_t *arena, const char *a_name, const sl_sql_type_t *a,
                                          const char *b_name, const sl_sql_type_t *b)
{
    sl_sql_field_t f[2] = {{a_name, a}, {b_name, b}};
    return sl_sql_type_struct(arena, f, 2);
}

#define AGG(n, d, impl, sig)                                                                                   \
    {                                                                                                          \
        .name = n, .kind = SL_SQL_F_AGGREGATE, .category = "AGGREGATE", .description = d, .agg = &impl,       \
        .agg_signatures = sig                                                                                  \
    }

const sl_sql_func_t sl_sql_funcs_agg[] = {
    AGG("AVG", "Returns the average value of the column computed as the sum divided by the count.",
        sl_sql_agg_avg, "AVG(val INT), AVG(val BIGINT), AVG(val DOUBLE), AVG(val DECIMAL)"),
    AGG("COLLECT_LIST",
        "Gathers all of the values from an input grouping into a single array (at most 1000 entries; further "
        "values are ignored).",
        sl_sql_agg_collect_list, "COLLECT_LIST(val ANY)"),
    AGG("COLLECT_SET",
        "Gathers the distinct values from an input grouping into a single array (at most 1000 entries; not "
        "available for aggregating a table).",
        sl_sql_agg_collect_set, "COLLECT_SET(val ANY)"),
    AGG("CORRELATION",
        "Computes the Pearson correlation coefficient between two columns of data (NaN while it is undefined); "
        "rows where either is null are ignored.",
        sl_sql_agg_correlation, "CORRELATION(x DOUBLE, y DOUBLE)"),
    AGG("COUNT", "Counts records by key: COUNT(*) every record, COUNT(col) those where col is not null.",
        sl_sql_agg_count, "COUNT(*), COUNT(val ANY)"),
    AGG("COUNT_DISTINCT",
        "Returns the number of distinct non-null values in a group: exact up to 1000 values, then an estimate "
        "(HyperLogLog, typical error under 1%).",
        sl_sql_agg_count_distinct, "COUNT_DISTINCT(val ANY)"),
    AGG("EARLIEST_BY_OFFSET",
        "Returns the earliest value (or N values) of the column, by the order records were processed; nulls "
        "are ignored unless ignoreNulls is false.",
        sl_sql_agg_earliest,
        "EARLIEST_BY_OFFSET(val ANY), EARLIEST_BY_OFFSET(val ANY, ignoreNulls BOOLEAN), "
        "EARLIEST_BY_OFFSET(val ANY, earliestN INT), EARLIEST_BY_OFFSET(val ANY, earliestN INT, ignoreNulls "
        "BOOLEAN)"),
    AGG("HISTOGRAM",
        "Returns a map of each distinct string of a group to how many times it occurs (at most 1000 entries).",
        sl_sql_agg_histogram, "HISTOGRAM(val VARCHAR)"),
    AGG("LATEST_BY_OFFSET",
        "Returns the latest value (or N values) of the column, by the order records were processed; nulls are "
        "ignored unless ignoreNulls is false.",
        sl_sql_agg_latest,
        "LATEST_BY_OFFSET(val ANY), LATEST_BY_OFFSET(val ANY, ignoreNulls BOOLEAN), "
        "LATEST_BY_OFFSET(val ANY, latestN INT), LATEST_BY_OFFSET(val ANY, latestN INT, ignoreNulls BOOLEAN)"),
    AGG("MAX", "Returns the maximum non-null value of a group.", sl_sql_agg_max,
        "MAX(val INT), MAX(val BIGINT), MAX(val DOUBLE), MAX(val DECIMAL), MAX(val DATE), MAX(val TIME), "
        "MAX(val TIMESTAMP), MAX(val VARCHAR), MAX(val BYTES)"),
    AGG("MIN", "Returns the minimum non-null value of a group.", sl_sql_agg_min,
        "MIN(val INT), MIN(val BIGINT), MIN(val DOUBLE), MIN(val DECIMAL), MIN(val DATE), MIN(val TIME), "
        "MIN(val TIMESTAMP), MIN(val VARCHAR), MIN(val BYTES)"),
    AGG("STDDEV_SAMP",
        "Returns the sample variance of the column (ksqlDB's STDDEV_SAMP gives the square of the standard "
        "deviation); 0.0 below two values.",
        sl_sql_agg_stddev_samp, "STDDEV_SAMP(val INT), STDDEV_SAMP(val BIGINT), STDDEV_SAMP(val DOUBLE)"),
    AGG("STDDEV_SAMPLE", "Returns the sample standard deviation of the column; 0.0 below two values.",
        sl_sql_agg_stddev_sample,
        "STDDEV_SAMPLE(val INT), STDDEV_SAMPLE(val BIGINT), STDDEV_SAMPLE(val DOUBLE)"),
    AGG("SUM", "Returns the sum of the non-null values of a group (0 if none).", sl_sql_agg_sum,
        "SUM(val INT), SUM(val BIGINT), SUM(val DOUBLE), SUM(val DECIMAL)"),
    AGG("TOPK", "Returns the k largest non-null values of a group, largest first.", sl_sql_agg_topk,
        "TOPK(val INT, k INT), TOPK(val BIGINT, k INT), TOPK(val DOUBLE, k INT), TOPK(val VARCHAR, k INT)"),
    AGG("TOPKDISTINCT", "Returns the k largest distinct non-null values of a group, largest first.",
        sl_sql_agg_topk_distinct,
        "TOPKDISTINCT(val INT, k INT), TOPKDISTINCT(val BIGINT, k INT), TOPKDISTINCT(val DOUBLE, k INT), "
        "TOPKDISTINCT(val VARCHAR, k INT)"),
    {.name = NULL},
};
