/*
 * plan_format.c - EXPLAIN's text of a logical plan: one line per node,
 * the root first, children indented below their parent, each with the
 * node's kind, its output schema and its name, as ksqlDB prints its
 * execution plans:
 *
 *    > [ SINK ] | Schema: ID INTEGER KEY, N STRING | Logger: OUTPUT
 *            > [ PROJECT ] | Schema: ... | Logger: Project
 */
#include <stdio.h>
#include <string.h>

#include "bind_int.h"

static const char *kind_name(sl_sql_pkind_t k)
{
    switch (k) {
    case SL_SQL_P_SOURCE: return "SOURCE";
    case SL_SQL_P_FILTER: return "FILTER";
    case SL_SQL_P_PROJECT: return "PROJECT";
    case SL_SQL_P_FLATMAP: return "FLAT_MAP";
    case SL_SQL_P_REKEY: return "REKEY";
    case SL_SQL_P_AGGREGATE: return "AGGREGATE";
    case SL_SQL_P_JOIN: return "JOIN";
    case SL_SQL_P_SUPPRESS: return "SUPPRESS";
    case SL_SQL_P_SINK: return "SINK";
    }
    return "?";
}

static void put(sl_buf_t *out, const char *s)
{
    sl_buf_put(out, s, strlen(s));
}

static void format_node(const sl_sql_plan_t *p, int depth, sl_buf_t *out)
{
    if (!p || depth > 64)
        return;
    for (int i = 0; i < depth; i++)
        put(out, "\t\t");
    put(out, " > [ ");
    put(out, kind_name(p->kind));
    put(out, " ] | Schema: ");
    sl_sql_schema_format(&p->out, false, out);
    if (p->kind == SL_SQL_P_FILTER && p->pred) {
        put(out, " | Predicate: ");
        sl_sql_expr_format(p->pred, out);
    }
    if (p->kind == SL_SQL_P_SOURCE && p->source) {
        put(out, " | Topic: ");
        put(out, p->source->topic ? p->source->topic : "");
    }
    if (p->kind == SL_SQL_P_SINK) {
        put(out, " | Topic: ");
        put(out, p->topic ? p->topic : "(transient)");
    }
    put(out, " | Logger: ");
    put(out, p->id ? p->id : kind_name(p->kind));
    sl_buf_put_u8(out, '\n');
    format_node(p->input, depth + 1, out);
    if (p->kind == SL_SQL_P_JOIN)
        format_node(p->right, depth + 1, out);
}

void sl_sql_plan_format(const sl_sql_plan_t *root, sl_buf_t *out)
{
    format_node(root, 0, out);
}
