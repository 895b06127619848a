/*
 * cmd_topics.c - `sluice topics list|create|describe|delete|alter`, as
 * kafka-topics.sh: names, partitions with leaders, replicas and ISR, the
 * topic's own configs; new topics with partitions, replication factor and
 * configs; more partitions and config changes for existing ones.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

/* ---- list ---------------------------------------------------------------- */

static int topics_list(sluice_ctx_t *ctx)
{
    if (ctx->args->npos)
        return sluice_usage(ctx, "topics list takes no arguments");
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    const char **names;
    size_t n;
    sl_err_t err = sl_admin_list_topics(a, sluice_flag(ctx->args, "internal"), &arena, &names, &n, ctx->timeout_ms);
    int rc;
    if (err) {
        rc = sluice_fail(ctx, err, "listing the topics of %s", ctx->bootstrap);
    } else if (ctx->json) {
        json_t *j = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(j, json_string(names[i]));
        rc = sluice_json_print(j);
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", names[i]);
        rc = SLUICE_OK;
    }
    sl_arena_fini(&arena);
    return rc;
}

/* ---- create ---------------------------------------------------------------- */

static int topics_create(sluice_ctx_t *ctx)
{
    if (ctx->args->npos != 1)
        return sluice_usage(ctx, "topics create wants one topic name");
    int64_t parts = -1, rf = -1;
    const char *p = sluice_arg(ctx->args, "partitions");
    const char *r = sluice_arg(ctx->args, "replication-factor");
    if (p && !sluice_parse_i64(p, 1, INT32_MAX, &parts))
        return sluice_usage(ctx, "--partitions wants a number of at least 1, not '%s'", p);
    if (r && !sluice_parse_i64(r, 1, INT16_MAX, &rf))
        return sluice_usage(ctx, "--replication-factor wants a number of at least 1, not '%s'", r);
    sl_config_entry_t *configs;
    size_t nconfigs;
    int rc = sluice_collect_configs(ctx, "config", &configs, &nconfigs);
    if (rc) {
        sluice_free_entries(configs, nconfigs);
        return rc;
    }
    sl_admin_t *a = sluice_admin(ctx);
    if (!a) {
        sluice_free_entries(configs, nconfigs);
        return SLUICE_FAILED;
    }
    sl_new_topic_t t = {
        .name = ctx->args->pos[0],
        .partitions = (int32_t)parts,
        .replication_factor = (int16_t)rf,
        .configs = configs,
        .config_count = nconfigs,
    };
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_err_t err = sl_admin_create_topics(a, &t, 1, sluice_flag(ctx->args, "validate-only"), &arena, ctx->timeout_ms);
    if (err) {
        rc = sluice_fail(ctx, err, "creating topic '%s'", t.name);
    } else if (t.err == SL_ERR_TOPIC_ALREADY_EXISTS && sluice_flag(ctx->args, "if-not-exists")) {
        rc = SLUICE_OK;
    } else if (t.err) {
        sluice_err("creating topic '%s': %s: %s", t.name, sl_err_name(t.err),
                   t.message ? t.message : sl_err_str(t.err));
        if (t.err == SL_ERR_TOPIC_ALREADY_EXISTS)
            fprintf(stderr, "  Pass --if-not-exists to accept an existing topic; `%s topics alter` changes one.\n",
                    ctx->prog);
        rc = SLUICE_FAILED;
    } else {
        rc = SLUICE_OK;
    }
    if (rc == SLUICE_OK) {
        bool validated = sluice_flag(ctx->args, "validate-only");
        if (ctx->json) {
            json_t *j = json_pack("{s:s, s:b, s:b}", "topic", t.name, "created", !t.err && !validated, "exists",
                                  t.err == SL_ERR_TOPIC_ALREADY_EXISTS);
            rc = sluice_json_print(j);
        } else if (t.err) {
            printf("Topic '%s' already exists.\n", t.name);
        } else {
            printf(validated ? "Topic '%s' could be created.\n" : "Created topic '%s'.\n", t.name);
        }
    }
    sl_arena_fini(&arena);
    sluice_free_entries(configs, nconfigs);
    return rc;
}

/* ---- describe -------------------------------------------------------------- */

static void join_ids(char *buf, size_t len, const int32_t *ids, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%d", i ? "," : "", (int)ids[i]);
}

static json_t *json_ids(const int32_t *ids, size_t n)
{
    json_t *j = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(j, json_integer(ids[i]));
    return j;
}

static int topics_describe(sluice_ctx_t *ctx)
{
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_topic_desc_t *descs;
    size_t n;
    int rc = SLUICE_OK;
    sl_err_t err = sl_admin_describe_topics(a, ctx->args->npos ? ctx->args->pos : NULL, ctx->args->npos, &arena, &descs,
                                            &n, ctx->timeout_ms);
    if (err) {
        rc = sluice_fail(ctx, err, "describing topics at %s", ctx->bootstrap);
        goto out;
    }
    json_t *all = ctx->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const sl_topic_desc_t *d = &descs[i];
        if (d->internal && !ctx->args->npos && !sluice_flag(ctx->args, "internal"))
            continue;
        if (d->err) {
            rc = sluice_fail(ctx, d->err, "describing topic '%s'", d->name);
            continue;
        }
        /* The topic's own settings (not defaults). */
        sl_config_entry_t *cfg = NULL;
        size_t ncfg = 0;
        err = sl_admin_describe_configs(a, SL_RESOURCE_TOPIC, d->name, &arena, &cfg, &ncfg, ctx->timeout_ms);
        if (err == SL_ERR_UNSUPPORTED) {
            ncfg = 0;   /* a broker without DescribeConfigs: partitions only */
        } else if (err) {
            rc = sluice_fail(ctx, err, "reading the configs of topic '%s'", d->name);
            ncfg = 0;
        }
        size_t rf = d->partition_count ? d->partitions[0].replica_count : 0;
        if (ctx->json) {
            json_t *parts = json_array(), *configs = json_object();
            for (size_t p = 0; p < d->partition_count; p++) {
                const sl_partition_desc_t *pd = &d->partitions[p];
                json_array_append_new(parts, json_pack("{s:i, s:i, s:o, s:o}", "partition", pd->id, "leader",
                                                       pd->leader, "replicas",
                                                       json_ids(pd->replicas, pd->replica_count), "isr",
                                                       json_ids(pd->isr, pd->isr_count)));
            }
            for (size_t c = 0; c < ncfg; c++)
                if (cfg[c].source == 1 && cfg[c].value)
                    json_object_set_new(configs, cfg[c].name, json_string(cfg[c].value));
            json_array_append_new(all, json_pack("{s:s, s:b, s:i, s:i, s:o, s:o}", "topic", d->name, "internal",
                                                 d->internal, "partition_count", (int)d->partition_count,
                                                 "replication_factor", (int)rf, "configs", configs, "partitions",
                                                 parts));
            continue;
        }
        printf("Topic: %s\tPartitionCount: %zu\tReplicationFactor: %zu\tConfigs: ", d->name, d->partition_count, rf);
        bool first = true;
        for (size_t c = 0; c < ncfg; c++)
            if (cfg[c].source == 1 && cfg[c].value) {
                printf("%s%s=%s", first ? "" : ",", cfg[c].name, cfg[c].value);
                first = false;
            }
        printf("\n");
        const char *heads[] = {"PARTITION", "LEADER", "REPLICAS", "ISR"};
        sluice_table_t t;
        sluice_table_init(&t, 4, heads);
        for (size_t p = 0; p < d->partition_count; p++) {
            const sl_partition_desc_t *pd = &d->partitions[p];
            char reps[256], isr[256];
            join_ids(reps, sizeof reps, pd->replicas, pd->replica_count);
            join_ids(isr, sizeof isr, pd->isr, pd->isr_count);
            sluice_table_cell(&t, "%d", (int)pd->id);
            sluice_table_cell(&t, "%d", (int)pd->leader);
            sluice_table_cell(&t, "%s", reps);
            sluice_table_cell(&t, "%s", isr);
        }
        sluice_table_print(&t, stdout);
        sluice_table_free(&t);
        if (i + 1 < n)
            printf("\n");
    }
    if (all) {
        int jrc = sluice_json_print(all);
        if (rc == SLUICE_OK)
            rc = jrc;
    }
out:
    sl_arena_fini(&arena);
    return rc;
}

/* ---- delete ---------------------------------------------------------------- */

static int topics_delete(sluice_ctx_t *ctx)
{
    size_t n = ctx->args->npos;
    if (!n)
        return sluice_usage(ctx, "topics delete wants one or more topic names");
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    sl_err_t errs[SLUICE_MAX_POS];
    sl_err_t err = sl_admin_delete_topics(a, ctx->args->pos, n, errs, ctx->timeout_ms);
    if (err)
        return sluice_fail(ctx, err, "deleting topics at %s", ctx->bootstrap);
    int rc = SLUICE_OK;
    json_t *j = ctx->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (errs[i]) {
            rc = sluice_fail(ctx, errs[i], "deleting topic '%s'", ctx->args->pos[i]);
        } else if (j) {
            json_array_append_new(j, json_pack("{s:s, s:b}", "topic", ctx->args->pos[i], "deleted", 1));
        } else {
            printf("Deleted topic '%s'.\n", ctx->args->pos[i]);
        }
    }
    if (j) {
        int jrc = sluice_json_print(j);
        if (rc == SLUICE_OK)
            rc = jrc;
    }
    return rc;
}

/* ---- alter ------------------------------------------------------------------ */

static int topics_alter(sluice_ctx_t *ctx)
{
    if (ctx->args->npos != 1)
        return sluice_usage(ctx, "topics alter wants one topic name");
    const char *topic = ctx->args->pos[0];
    if (sluice_flag(ctx->args, "replication-factor"))
        return sluice_usage(ctx, "changing the replication factor of an existing topic is not supported "
                                 "(it needs a partition reassignment)");
    int64_t parts = -1;
    const char *p = sluice_arg(ctx->args, "partitions");
    if (p && !sluice_parse_i64(p, 1, INT32_MAX, &parts))
        return sluice_usage(ctx, "--partitions wants a number of at least 1, not '%s'", p);
    bool configs = sluice_flag(ctx->args, "config") || sluice_flag(ctx->args, "delete-config");
    if (parts < 0 && !configs)
        return sluice_usage(ctx, "topics alter: nothing to change (--partitions N, --config K=V, --delete-config K)");
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    int rc = SLUICE_OK;
    json_t *j = ctx->json ? json_pack("{s:s}", "topic", topic) : NULL;
    if (parts > 0) {
        sl_arena_t arena;
        sl_arena_init(&arena, 0, 0);
        sl_err_t perr;
        const char *msg = NULL;
        sl_err_t err = sl_admin_create_partitions(a, topic, (int32_t)parts, &perr, &arena, &msg, ctx->timeout_ms);
        if (err) {
            rc = sluice_fail(ctx, err, "growing topic '%s' to %lld partitions", topic, (long long)parts);
        } else if (perr) {
            sluice_err("growing topic '%s' to %lld partitions: %s: %s", topic, (long long)parts, sl_err_name(perr),
                       msg ? msg : sl_err_str(perr));
            rc = SLUICE_FAILED;
        } else if (j) {
            json_object_set_new(j, "partitions", json_integer(parts));
        } else {
            printf("Topic '%s' now has %lld partitions.\n", topic, (long long)parts);
        }
        sl_arena_fini(&arena);
    }
    if (rc == SLUICE_OK && configs)
        rc = sluice_apply_configs(ctx, SL_RESOURCE_TOPIC, topic, "config", "delete-config", j);
    if (j) {
        if (rc == SLUICE_OK)
            return sluice_json_print(j);
        json_decref(j);
    }
    return rc;
}

static const sluice_opt_t list_opts[] = {
    {"internal", 0, false, "include internal topics"},
};
static const sluice_opt_t create_opts[] = {
    {"partitions", 'p', true, "N: number of partitions (default: the broker's num.partitions)"},
    {"replication-factor", 'r', true, "N: copies of each partition (default: the broker's)"},
    {"config", 'c', true, "NAME=VALUE: a topic config (retention.ms, cleanup.policy...), repeatable"},
    {"if-not-exists", 0, false, "succeed when the topic exists already"},
    {"validate-only", 0, false, "check with the broker without creating"},
};
static const sluice_opt_t describe_opts[] = {
    {"internal", 0, false, "include internal topics when no name is given"},
};
static const sluice_opt_t alter_opts[] = {
    {"partitions", 'p', true, "N: grow the topic to N partitions"},
    {"config", 'c', true, "NAME=VALUE: set a topic config, repeatable"},
    {"delete-config", 0, true, "NAME: revert a topic config to its default, repeatable"},
    {"replication-factor", 'r', true, "N: (not supported for existing topics)"},
};

const sluice_cmd_t sluice_topics_cmds[] = {
    {"topics", "list", "", "list topic names", list_opts, SL_ARRAY_LEN(list_opts), topics_list},
    {"topics", "create", "TOPIC [--partitions N] [--replication-factor N] [--config K=V]...",
     "create a topic", create_opts, SL_ARRAY_LEN(create_opts), topics_create},
    {"topics", "describe", "[TOPIC...]", "partitions, leaders, replicas, ISR and configs of topics",
     describe_opts, SL_ARRAY_LEN(describe_opts), topics_describe},
    {"topics", "delete", "TOPIC...", "delete topics", NULL, 0, topics_delete},
    {"topics", "alter", "TOPIC [--partitions N] [--config K=V]... [--delete-config K]...",
     "add partitions to a topic or change its configs", alter_opts, SL_ARRAY_LEN(alter_opts), topics_alter},
};
const size_t sluice_topics_ncmds = SL_ARRAY_LEN(sluice_topics_cmds);
