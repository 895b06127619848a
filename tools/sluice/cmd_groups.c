/*
 * cmd_groups.c - `sluice groups list|describe|reset-offsets|delete`, as
 * kafka-consumer-groups.sh: per partition the committed offset, the log end
 * offset, the lag and the member that owns it (also for groups with no live
 * member); offset resets planned by default and applied with --execute.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

typedef struct row {
    const char *topic;
    int32_t partition;
    int64_t committed;          /* SL_OFFSET_INVALID: none */
    int64_t end;                /* -1: unknown */
    const sl_member_desc_t *owner;
} row_t;

static int cmp_row(const void *x, const void *y)
{
    const row_t *a = x, *b = y;
    int c = strcmp(a->topic, b->topic);
    return c ? c : (a->partition > b->partition) - (a->partition < b->partition);
}

static row_t *find_row(row_t *rows, size_t n, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].partition == partition && strcmp(rows[i].topic, topic) == 0)
            return &rows[i];
    return NULL;
}

/* Fills offsets (parts[i].offset in: SL_OFFSET_BEGINNING, SL_OFFSET_END or
 * a timestamp) with ListOffsets. SLUICE_OK or SLUICE_FAILED (said why). */
static int list_offsets(sluice_ctx_t *ctx, sl_tp_offset_t *parts, size_t n)
{
    if (!n)
        return SLUICE_OK;
    sl_err_t err = sl_admin_list_offsets(ctx->admin, parts, n, false, ctx->timeout_ms);
    if (err)
        return sluice_fail(ctx, err, "reading the offsets of %zu partitions", n);
    return SLUICE_OK;
}

/* DescribeGroups of ids[0..n). A broker without it (librdkafka's mock
 * cluster, very old brokers) gives descriptions with no members and an
 * unknown state, so the committed offsets can still be shown. */
static sl_err_t describe_groups(sluice_ctx_t *ctx, const char *const *ids, size_t n, sl_arena_t *arena,
                                sl_group_desc_t **out)
{
    sl_err_t err = sl_admin_describe_groups(ctx->admin, ids, n, arena, out, ctx->timeout_ms);
    if (err != SL_ERR_UNSUPPORTED)
        return err;
    sl_group_desc_t *d = sl_arena_calloc(arena, n ? n : 1, sizeof *d);
    if (!d)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        d[i].group_id = ids[i];
        d[i].state = "Unknown";
        d[i].protocol_type = d[i].protocol = "";
        d[i].coordinator = -1;
    }
    *out = d;
    return SL_OK;
}

/* ---- list ------------------------------------------------------------------- */

static int cmp_listing(const void *x, const void *y)
{
    return strcmp(((const sl_group_listing_t *)x)->group_id, ((const sl_group_listing_t *)y)->group_id);
}

static int groups_list(sluice_ctx_t *ctx)
{
    if (ctx->args->npos)
        return sluice_usage(ctx, "groups list takes no arguments");
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_group_listing_t *g;
    size_t n;
    int rc = SLUICE_OK;
    sl_err_t err = sl_admin_list_groups(a, &arena, &g, &n, ctx->timeout_ms);
    if (err) {
        rc = sluice_fail(ctx, err, "listing the groups of %s", ctx->bootstrap);
    } else {
        qsort(g, n, sizeof *g, cmp_listing);
        if (ctx->json) {
            json_t *j = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(j, json_pack("{s:s, s:s, s:s}", "group", g[i].group_id, "state", g[i].state,
                                                   "protocol_type", g[i].protocol_type));
            rc = sluice_json_print(j);
        } else {
            const char *heads[] = {"GROUP", "STATE", "PROTOCOL-TYPE"};
            sluice_table_t t;
            sluice_table_init(&t, 3, heads);
            for (size_t i = 0; i < n; i++) {
                sluice_table_cell(&t, "%s", g[i].group_id);
                sluice_table_cell(&t, "%s", g[i].state[0] ? g[i].state : "-");
                sluice_table_cell(&t, "%s", g[i].protocol_type[0] ? g[i].protocol_type : "-");
            }
            sluice_table_print(&t, stdout);
            sluice_table_free(&t);
        }
    }
    sl_arena_fini(&arena);
    return rc;
}

/* ---- describe ------------------------------------------------------------- */

/* Rows of one group: every partition with a committed offset or an owner,
 * sorted, with end offsets. */
static int group_rows(sluice_ctx_t *ctx, const sl_group_desc_t *d, sl_arena_t *arena, row_t **out, size_t *nout)
{
    sl_tp_offset_t *committed;
    size_t nc;
    sl_err_t err = sl_admin_list_group_offsets(ctx->admin, d->group_id, arena, &committed, &nc, ctx->timeout_ms);
    if (err)
        return sluice_fail(ctx, err, "reading the committed offsets of group '%s'", d->group_id);
    size_t cap = nc;
    for (size_t m = 0; m < d->member_count; m++)
        cap += d->members[m].assignment_count;
    row_t *rows = sl_arena_calloc(arena, cap ? cap : 1, sizeof *rows);
    if (!rows) {
        sluice_err("out of memory");
        return SLUICE_FAILED;
    }
    size_t n = 0;
    for (size_t i = 0; i < nc; i++)
        rows[n++] = (row_t){committed[i].topic, committed[i].partition,
                            committed[i].err ? SL_OFFSET_INVALID : committed[i].offset, -1, NULL};
    for (size_t m = 0; m < d->member_count; m++)
        for (size_t k = 0; k < d->members[m].assignment_count; k++) {
            const sl_tp_offset_t *as = &d->members[m].assignment[k];
            row_t *r = find_row(rows, n, as->topic, as->partition);
            if (!r) {
                r = &rows[n++];
                *r = (row_t){as->topic, as->partition, SL_OFFSET_INVALID, -1, NULL};
            }
            r->owner = &d->members[m];
        }
    qsort(rows, n, sizeof *rows, cmp_row);
    sl_tp_offset_t *ends = sl_arena_calloc(arena, n ? n : 1, sizeof *ends);
    if (!ends) {
        sluice_err("out of memory");
        return SLUICE_FAILED;
    }
    for (size_t i = 0; i < n; i++)
        ends[i] = (sl_tp_offset_t){.topic = rows[i].topic, .partition = rows[i].partition, .offset = SL_OFFSET_END};
    int rc = list_offsets(ctx, ends, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        rows[i].end = ends[i].err ? -1 : ends[i].offset;
    *out = rows;
    *nout = n;
    return SLUICE_OK;
}

static json_t *json_offset(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

static int describe_one(sluice_ctx_t *ctx, const sl_group_desc_t *d, sl_arena_t *arena, json_t *all)
{
    if (d->err && d->err != SL_ERR_GROUP_ID_NOT_FOUND)
        return sluice_fail(ctx, d->err, "describing group '%s'", d->group_id);
    row_t *rows = NULL;
    size_t n = 0;
    int rc = group_rows(ctx, d, arena, &rows, &n);
    if (rc)
        return rc;
    if ((d->err == SL_ERR_GROUP_ID_NOT_FOUND || strcmp(d->state, "Dead") == 0) && n == 0) {
        sluice_err("consumer group '%s' does not exist", d->group_id);
        fprintf(stderr, "  See `%s groups list` for the groups the cluster knows.\n", ctx->prog);
        return SLUICE_FAILED;
    }
    if (all) {
        json_t *parts = json_array();
        for (size_t i = 0; i < n; i++) {
            const row_t *r = &rows[i];
            bool lag = r->committed >= 0 && r->end >= 0;
            json_array_append_new(
                parts, json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "topic", r->topic, "partition",
                                 r->partition, "current_offset", json_offset(r->committed), "log_end_offset",
                                 json_offset(r->end), "lag", lag ? json_integer(r->end - r->committed) : json_null(),
                                 "consumer_id", r->owner ? json_string(r->owner->member_id) : json_null(), "host",
                                 r->owner ? json_string(r->owner->host) : json_null(), "client_id",
                                 r->owner ? json_string(r->owner->client_id) : json_null()));
        }
        json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "group", d->group_id, "state",
                                             d->state, "assignor", d->protocol, "coordinator", d->coordinator,
                                             "members", (int)d->member_count, "partitions", parts));
        return SLUICE_OK;
    }
    if (d->member_count == 0)
        printf("Consumer group '%s' has no active members.\n\n", d->group_id);
    const char *heads[] = {"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID",
                           "HOST", "CLIENT-ID"};
    sluice_table_t t;
    sluice_table_init(&t, 9, heads);
    for (size_t i = 0; i < n; i++) {
        const row_t *r = &rows[i];
        sluice_table_cell(&t, "%s", d->group_id);
        sluice_table_cell(&t, "%s", r->topic);
        sluice_table_cell(&t, "%d", (int)r->partition);
        if (r->committed >= 0)
            sluice_table_cell(&t, "%lld", (long long)r->committed);
        else
            sluice_table_cell(&t, "-");
        if (r->end >= 0)
            sluice_table_cell(&t, "%lld", (long long)r->end);
        else
            sluice_table_cell(&t, "-");
        if (r->committed >= 0 && r->end >= 0)
            sluice_table_cell(&t, "%lld", (long long)(r->end - r->committed));
        else
            sluice_table_cell(&t, "-");
        sluice_table_cell(&t, "%s", r->owner ? r->owner->member_id : "-");
        sluice_table_cell(&t, "%s", r->owner && r->owner->host[0] ? r->owner->host : "-");
        sluice_table_cell(&t, "%s", r->owner ? r->owner->client_id : "-");
    }
    sluice_table_print(&t, stdout);
    sluice_table_free(&t);
    return SLUICE_OK;
}

static int groups_describe(sluice_ctx_t *ctx)
{
    size_t n = ctx->args->npos;
    if (!n)
        return sluice_usage(ctx, "groups describe wants one or more group names");
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_group_desc_t *d;
    int rc = SLUICE_OK;
    sl_err_t err = describe_groups(ctx, ctx->args->pos, n, &arena, &d);
    if (err) {
        rc = sluice_fail(ctx, err, "describing groups at %s", ctx->bootstrap);
    } else {
        json_t *all = ctx->json ? json_array() : NULL;
        for (size_t i = 0; i < n; i++) {
            if (i && !all)
                printf("\n");
            int one = describe_one(ctx, &d[i], &arena, all);
            if (one != SLUICE_OK)
                rc = one;
        }
        if (all) {
            int jrc = sluice_json_print(all);
            if (rc == SLUICE_OK)
                rc = jrc;
        }
    }
    sl_arena_fini(&arena);
    return rc;
}

/* ---- reset-offsets --------------------------------------------------------- */

typedef enum { TO_EARLIEST, TO_LATEST, TO_OFFSET, TO_DATETIME, SHIFT_BY } reset_how_t;

/* The scenario options, exactly one. SLUICE_OK or SLUICE_USAGE. */
static int reset_scenario(sluice_ctx_t *ctx, reset_how_t *how, int64_t *value)
{
    static const char *const names[] = {"to-earliest", "to-latest", "to-offset", "to-datetime", "shift-by"};
    int found = -1;
    for (int i = 0; i < 5; i++)
        if (sluice_flag(ctx->args, names[i])) {
            if (found >= 0)
                return sluice_usage(ctx, "give only one of --%s and --%s", names[found], names[i]);
            found = i;
        }
    if (found < 0)
        return sluice_usage(ctx, "groups reset-offsets wants one of --to-earliest, --to-latest, --to-offset N, "
                                 "--to-datetime DATETIME, --shift-by N");
    *how = (reset_how_t)found;
    const char *v = sluice_arg(ctx->args, names[found]);
    if (*how == TO_OFFSET && !sluice_parse_i64(v, 0, INT64_MAX, value))
        return sluice_usage(ctx, "--to-offset wants an offset (0 or more), not '%s'", v);
    if (*how == SHIFT_BY && !sluice_parse_i64(v, INT64_MIN / 2, INT64_MAX / 2, value))
        return sluice_usage(ctx, "--shift-by wants a number (negative moves back), not '%s'", v);
    if (*how == TO_DATETIME && !sluice_parse_datetime(v, value))
        return sluice_usage(ctx, "--to-datetime wants YYYY-MM-DDTHH:MM:SS[.SSS][Z|+HH:MM] or epoch ms, not '%s'", v);
    return SLUICE_OK;
}

/* The partitions to reset, from --topic T[:P,P...] (repeatable) or
 * --all-topics (those with committed offsets). */
static int reset_parts(sluice_ctx_t *ctx, const sl_tp_offset_t *committed, size_t nc, sl_arena_t *arena,
                       sl_tp_offset_t **out, size_t *nout)
{
    bool all = sluice_flag(ctx->args, "all-topics");
    if (all == sluice_flag(ctx->args, "topic"))
        return sluice_usage(ctx, "groups reset-offsets wants --topic TOPIC[:PARTITIONS] (repeatable) or --all-topics");
    size_t cap = 0, n = 0;
    sl_tp_offset_t *parts = NULL;
    if (all) {
        parts = sl_arena_calloc(arena, nc ? nc : 1, sizeof *parts);
        if (!parts)
            goto nomem;
        for (size_t i = 0; i < nc; i++)
            parts[n++] = (sl_tp_offset_t){.topic = committed[i].topic, .partition = committed[i].partition};
        if (!n) {
            sluice_err("group has no committed offsets: --all-topics finds nothing to reset");
            fprintf(stderr, "  Name the topics with --topic TOPIC.\n");
            return SLUICE_FAILED;
        }
        *out = parts;
        *nout = n;
        return SLUICE_OK;
    }
    size_t it = 0;
    const char *spec;
    while ((spec = sluice_arg_next(ctx->args, "topic", &it))) {
        const char *colon = strchr(spec, ':');
        char *topic = sl_arena_strndup(arena, spec, colon ? (size_t)(colon - spec) : strlen(spec));
        if (!topic)
            goto nomem;
        if (!*topic)
            return sluice_usage(ctx, "--topic wants TOPIC or TOPIC:P,P..., not '%s'", spec);
        int32_t *ids = NULL;
        size_t nids = 0;
        if (colon) {
            char *list = sl_arena_strndup(arena, colon + 1, strlen(colon + 1));
            ids = sl_arena_calloc(arena, strlen(colon + 1) + 1, sizeof *ids);
            if (!list || !ids)
                goto nomem;
            for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                int64_t v;
                if (!sluice_parse_i64(tok, 0, INT32_MAX, &v))
                    return sluice_usage(ctx, "--topic %s: '%s' is not a partition number", spec, tok);
                ids[nids++] = (int32_t)v;
            }
            if (!nids)
                return sluice_usage(ctx, "--topic %s: no partitions after ':'", spec);
        } else {
            const char *names[1] = {topic};
            sl_topic_desc_t *td;
            size_t ntd;
            sl_err_t err = sl_admin_describe_topics(ctx->admin, names, 1, arena, &td, &ntd, ctx->timeout_ms);
            if (!err && ntd == 1 && td[0].err)
                err = td[0].err;
            if (err)
                return sluice_fail(ctx, err, "reading the partitions of topic '%s'", topic);
            ids = sl_arena_calloc(arena, td[0].partition_count ? td[0].partition_count : 1, sizeof *ids);
            if (!ids)
                goto nomem;
            for (size_t p = 0; p < td[0].partition_count; p++)
                ids[nids++] = td[0].partitions[p].id;
        }
        if (n + nids > cap) {
            cap = (n + nids) * 2;
            sl_tp_offset_t *grown = sl_arena_calloc(arena, cap, sizeof *grown);
            if (!grown)
                goto nomem;
            if (n)
                memcpy(grown, parts, n * sizeof *grown);
            parts = grown;
        }
        for (size_t k = 0; k < nids; k++)
            parts[n++] = (sl_tp_offset_t){.topic = topic, .partition = ids[k]};
    }
    *out = parts;
    *nout = n;
    return SLUICE_OK;
nomem:
    sluice_err("out of memory");
    return SLUICE_FAILED;
}

static int groups_reset(sluice_ctx_t *ctx)
{
    if (ctx->args->npos != 1)
        return sluice_usage(ctx, "groups reset-offsets wants one group name");
    const char *group = ctx->args->pos[0];
    bool execute = sluice_flag(ctx->args, "execute");
    if (execute && sluice_flag(ctx->args, "dry-run"))
        return sluice_usage(ctx, "give --dry-run or --execute, not both");
    reset_how_t how = TO_EARLIEST;
    int64_t value = 0;
    int rc = reset_scenario(ctx, &how, &value);
    if (rc)
        return rc;
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    const char *ids[1] = {group};
    sl_group_desc_t *d;
    sl_tp_offset_t *committed = NULL, *parts = NULL, *lo = NULL, *hi = NULL, *at = NULL;
    size_t nc = 0, n = 0;
    sl_err_t err = describe_groups(ctx, ids, 1, &arena, &d);
    if (!err && d[0].err && d[0].err != SL_ERR_GROUP_ID_NOT_FOUND)
        err = d[0].err;
    if (err) {
        rc = sluice_fail(ctx, err, "describing group '%s'", group);
        goto out;
    }
    if (execute && d[0].member_count) {
        sluice_err("offsets of group '%s' can only be reset while it has no active members, but it has %zu (state "
                   "%s)",
                   group, d[0].member_count, d[0].state);
        fprintf(stderr, "  Stop the group's consumers first, then run this again.\n");
        rc = SLUICE_FAILED;
        goto out;
    }
    err = sl_admin_list_group_offsets(a, group, &arena, &committed, &nc, ctx->timeout_ms);
    if (err) {
        rc = sluice_fail(ctx, err, "reading the committed offsets of group '%s'", group);
        goto out;
    }
    rc = reset_parts(ctx, committed, nc, &arena, &parts, &n);
    if (rc)
        goto out;
    lo = sl_arena_calloc(&arena, n ? n : 1, sizeof *lo);
    hi = sl_arena_calloc(&arena, n ? n : 1, sizeof *hi);
    at = sl_arena_calloc(&arena, n ? n : 1, sizeof *at);
    if (!lo || !hi || !at) {
        sluice_err("out of memory");
        rc = SLUICE_FAILED;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        lo[i] = hi[i] = at[i] = parts[i];
        lo[i].offset = SL_OFFSET_BEGINNING;
        hi[i].offset = SL_OFFSET_END;
        at[i].offset = value;
    }
    if ((rc = list_offsets(ctx, lo, n)) || (rc = list_offsets(ctx, hi, n)) ||
        (how == TO_DATETIME && (rc = list_offsets(ctx, at, n))))
        goto out;
    for (size_t i = 0; i < n; i++) {
        sl_tp_offset_t *p = &parts[i];
        sl_err_t perr = lo[i].err ? lo[i].err : hi[i].err ? hi[i].err : how == TO_DATETIME ? at[i].err : SL_OK;
        if (perr) {
            rc = sluice_fail(ctx, perr, "reading the offsets of %s-%d", p->topic, (int)p->partition);
            goto out;
        }
        int64_t current = SL_OFFSET_INVALID;
        for (size_t k = 0; k < nc; k++)
            if (committed[k].partition == p->partition && !committed[k].err &&
                strcmp(committed[k].topic, p->topic) == 0)
                current = committed[k].offset;
        p->metadata = NULL;
        p->leader_epoch = -1;
        switch (how) {
        case TO_EARLIEST: p->offset = lo[i].offset; break;
        case TO_LATEST: p->offset = hi[i].offset; break;
        case TO_OFFSET: p->offset = value; break;
        case TO_DATETIME: p->offset = at[i].offset >= 0 ? at[i].offset : hi[i].offset; break;
        case SHIFT_BY:
            if (current < 0) {
                sluice_err("group '%s' has no committed offset for %s-%d to shift from", group, p->topic,
                           (int)p->partition);
                fprintf(stderr, "  Use --to-earliest, --to-latest or --to-offset for it.\n");
                rc = SLUICE_FAILED;
                goto out;
            }
            p->offset = current + value;
            break;
        }
        /* As Kafka's tool: never before the log start or past the end. */
        if (p->offset < lo[i].offset)
            p->offset = lo[i].offset;
        if (p->offset > hi[i].offset)
            p->offset = hi[i].offset;
        p->err = SL_OK;
        lo[i].offset = current;   /* kept for the report */
    }
    if (execute) {
        err = sl_admin_alter_group_offsets(a, group, parts, n, ctx->timeout_ms);
        if (err) {
            rc = sluice_fail(ctx, err, "committing the new offsets of group '%s'", group);
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            if (parts[i].err) {
                rc = sluice_fail(ctx, parts[i].err, "committing the new offset of %s-%d for group '%s'",
                                 parts[i].topic, (int)parts[i].partition, group);
                if (parts[i].err == SL_ERR_UNKNOWN_MEMBER_ID)
                    fprintf(stderr, "  The group has active members again: stop them first.\n");
                goto out;
            }
    }
    if (ctx->json) {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, json_pack("{s:s, s:i, s:o, s:I}", "topic", parts[i].topic, "partition",
                                                  parts[i].partition, "previous_offset", json_offset(lo[i].offset),
                                                  "new_offset", (json_int_t)parts[i].offset));
        rc = sluice_json_print(json_pack("{s:s, s:b, s:o}", "group", group, "executed", execute, "partitions", list));
    } else {
        const char *heads[] = {"GROUP", "TOPIC", "PARTITION", "PREVIOUS-OFFSET", "NEW-OFFSET"};
        sluice_table_t t;
        sluice_table_init(&t, 5, heads);
        for (size_t i = 0; i < n; i++) {
            sluice_table_cell(&t, "%s", group);
            sluice_table_cell(&t, "%s", parts[i].topic);
            sluice_table_cell(&t, "%d", (int)parts[i].partition);
            if (lo[i].offset >= 0)
                sluice_table_cell(&t, "%lld", (long long)lo[i].offset);
            else
                sluice_table_cell(&t, "-");
            sluice_table_cell(&t, "%lld", (long long)parts[i].offset);
        }
        sluice_table_print(&t, stdout);
        sluice_table_free(&t);
        fflush(stdout);
        if (!execute)
            fprintf(stderr, "Dry run: nothing changed. Pass --execute to commit these offsets%s.\n",
                    d[0].member_count ? " (after stopping the group's consumers)" : "");
    }
out:
    sl_arena_fini(&arena);
    return rc;
}

/* ---- delete ------------------------------------------------------------------ */

static int groups_delete(sluice_ctx_t *ctx)
{
    size_t n = ctx->args->npos;
    if (!n)
        return sluice_usage(ctx, "groups delete wants one or more group names");
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    sl_err_t errs[SLUICE_MAX_POS];
    sl_err_t err = sl_admin_delete_groups(a, ctx->args->pos, n, errs, ctx->timeout_ms);
    if (err)
        return sluice_fail(ctx, err, "deleting groups at %s", ctx->bootstrap);
    int rc = SLUICE_OK;
    json_t *j = ctx->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const char *g = ctx->args->pos[i];
        if (errs[i]) {
            sluice_err("deleting group '%s': %s (%s)", g, sl_err_name(errs[i]), sl_err_str(errs[i]));
            if (errs[i] == SL_ERR_NON_EMPTY_GROUP)
                fprintf(stderr, "  The group has active members: stop its consumers first.\n");
            else if (errs[i] == SL_ERR_GROUP_ID_NOT_FOUND)
                fprintf(stderr, "  See `%s groups list` for the groups the cluster knows.\n", ctx->prog);
            rc = SLUICE_FAILED;
        } else if (j) {
            json_array_append_new(j, json_pack("{s:s, s:b}", "group", g, "deleted", 1));
        } else {
            printf("Deleted group '%s'.\n", g);
        }
    }
    if (j) {
        int jrc = sluice_json_print(j);
        if (rc == SLUICE_OK)
            rc = jrc;
    }
    return rc;
}

static const sluice_opt_t reset_opts[] = {
    {"topic", 't', true, "TOPIC[:P,P...]: the topic (or some of its partitions) to reset, repeatable"},
    {"all-topics", 0, false, "every topic the group has committed offsets for"},
    {"to-earliest", 0, false, "to the log start offset"},
    {"to-latest", 0, false, "to the log end offset"},
    {"to-offset", 0, true, "N: to offset N (kept within the log)"},
    {"to-datetime", 0, true, "DATETIME: to the first offset at or after YYYY-MM-DDTHH:MM:SS[.SSS][Z|+HH:MM]"},
    {"shift-by", 0, true, "N: move the committed offset by N (negative: back)"},
    {"dry-run", 0, false, "only show the new offsets (the default)"},
    {"execute", 0, false, "commit the new offsets"},
};

const sluice_cmd_t sluice_groups_cmds[] = {
    {"groups", "list", "", "consumer groups with their state", NULL, 0, groups_list},
    {"groups", "describe", "GROUP...", "per partition: committed offset, log end, lag and owner", NULL, 0,
     groups_describe},
    {"groups", "reset-offsets", "GROUP (--topic T[:P,...] | --all-topics) SCENARIO [--execute]",
     "move a group's committed offsets (a dry run unless --execute)", reset_opts, SL_ARRAY_LEN(reset_opts),
     groups_reset},
    {"groups", "delete", "GROUP...", "delete groups with no active members", NULL, 0, groups_delete},
};
const size_t sluice_groups_ncmds = SL_ARRAY_LEN(sluice_groups_cmds);
