/*
 * cmd_configs.c - `sluice configs describe|alter` of a topic or a broker
 * (kafka-configs.sh): every config with its value and where it comes from;
 * incremental changes (set, or delete to fall back to the default).
 */
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

static const char *source_name(int source)
{
    switch (source) {
    case 1: return "topic";
    case 2: return "broker (dynamic)";
    case 3: return "cluster default (dynamic)";
    case 4: return "broker (static)";
    case 5: return "default";
    case 6: return "broker logger";
    default: return "unknown";
    }
}

/* The resource of --topic T / --broker ID. SLUICE_OK or SLUICE_USAGE. */
static int resource(sluice_ctx_t *ctx, sl_resource_type_t *type, const char **name)
{
    const char *t = sluice_arg(ctx->args, "topic"), *b = sluice_arg(ctx->args, "broker");
    if (ctx->args->npos)
        return sluice_usage(ctx, "configs takes --topic NAME or --broker ID, not '%s'", ctx->args->pos[0]);
    if (!!t == !!b)
        return sluice_usage(ctx, "configs wants exactly one of --topic NAME and --broker ID");
    int64_t id;
    if (b && !sluice_parse_i64(b, 0, INT32_MAX, &id))
        return sluice_usage(ctx, "--broker wants a broker id (a number), not '%s'", b);
    *type = t ? SL_RESOURCE_TOPIC : SL_RESOURCE_BROKER;
    *name = t ? t : b;
    return SLUICE_OK;
}

static int configs_describe(sluice_ctx_t *ctx)
{
    sl_resource_type_t type = SL_RESOURCE_TOPIC;
    const char *name = NULL;
    int rc = resource(ctx, &type, &name);
    if (rc)
        return rc;
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    const char *what = type == SL_RESOURCE_TOPIC ? "topic" : "broker";
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_config_entry_t *e;
    size_t n;
    sl_err_t err = sl_admin_describe_configs(a, type, name, &arena, &e, &n, ctx->timeout_ms);
    if (err) {
        rc = sluice_fail(ctx, err, "describing the configs of %s '%s'", what, name);
    } else if (ctx->json) {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, json_pack("{s:s, s:o, s:s, s:b, s:b, s:b}", "name", e[i].name, "value",
                                                  e[i].value && !e[i].sensitive ? json_string(e[i].value) : json_null(),
                                                  "source", source_name(e[i].source), "default", e[i].is_default,
                                                  "read_only", e[i].read_only, "sensitive", e[i].sensitive));
        rc = sluice_json_print(json_pack("{s:s, s:s, s:o}", "type", what, "name", name, "configs", list));
    } else {
        const char *heads[] = {"NAME", "VALUE", "SOURCE"};
        sluice_table_t t;
        sluice_table_init(&t, 3, heads);
        for (size_t i = 0; i < n; i++) {
            sluice_table_cell(&t, "%s", e[i].name);
            sluice_table_cell(&t, "%s", e[i].sensitive ? "(sensitive)" : e[i].value ? e[i].value : "(null)");
            sluice_table_cell(&t, "%s%s", source_name(e[i].source), e[i].read_only ? ", read-only" : "");
        }
        sluice_table_print(&t, stdout);
        sluice_table_free(&t);
    }
    sl_arena_fini(&arena);
    return rc;
}

int sluice_apply_configs(sluice_ctx_t *ctx, sl_resource_type_t type, const char *name, const char *set_opt,
                         const char *del_opt, json_t *j)
{
    const char *what = type == SL_RESOURCE_TOPIC ? "topic" : "broker";
    sl_config_entry_t *set;
    size_t n;
    int rc = sluice_collect_configs(ctx, set_opt, &set, &n);
    size_t ndel = 0, it = 0;
    while (sluice_arg_next(ctx->args, del_opt, &it))
        ndel++;
    sl_config_entry_t *all = rc == SLUICE_OK ? realloc(set, (n + ndel + 1) * sizeof *all) : NULL;
    if (rc != SLUICE_OK || !all) {
        sluice_free_entries(set, n);
        if (rc == SLUICE_OK)
            sluice_err("out of memory");
        return rc != SLUICE_OK ? rc : SLUICE_FAILED;
    }
    set = all;
    it = 0;
    const char *k;
    while ((k = sluice_arg_next(ctx->args, del_opt, &it))) {
        memset(&set[n], 0, sizeof set[n]);
        set[n++].name = strdup(k);
    }
    sl_admin_t *a = sluice_admin(ctx);
    if (!a) {
        sluice_free_entries(set, n);
        return SLUICE_FAILED;
    }
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_err_t cerr;
    const char *msg = NULL;
    sl_err_t err = sl_admin_alter_configs(a, type, name, set, n, &cerr, &arena, &msg, ctx->timeout_ms);
    if (err) {
        rc = sluice_fail(ctx, err, "altering the configs of %s '%s'", what, name);
    } else if (cerr) {
        sluice_err("altering the configs of %s '%s': %s: %s", what, name, sl_err_name(cerr),
                   msg ? msg : sl_err_str(cerr));
        rc = SLUICE_FAILED;
    } else if (j) {
        json_t *c = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_set_new(c, set[i].name, set[i].value ? json_string(set[i].value) : json_null());
        json_object_set_new(j, "configs", c);
    } else {
        printf("Altered the configs of %s '%s'.\n", what, name);
    }
    sl_arena_fini(&arena);
    sluice_free_entries(set, n);
    return rc;
}

static int configs_alter(sluice_ctx_t *ctx)
{
    sl_resource_type_t type = SL_RESOURCE_TOPIC;
    const char *name = NULL;
    int rc = resource(ctx, &type, &name);
    if (rc)
        return rc;
    if (!sluice_flag(ctx->args, "set") && !sluice_flag(ctx->args, "delete"))
        return sluice_usage(ctx, "configs alter: nothing to change (--set NAME=VALUE, --delete NAME)");
    json_t *j = ctx->json ? json_pack("{s:s, s:s}", "type", type == SL_RESOURCE_TOPIC ? "topic" : "broker", "name",
                                      name)
                          : NULL;
    rc = sluice_apply_configs(ctx, type, name, "set", "delete", j);
    if (j) {
        if (rc == SLUICE_OK)
            return sluice_json_print(j);
        json_decref(j);
    }
    return rc;
}

static const sluice_opt_t describe_opts[] = {
    {"topic", 't', true, "NAME: the topic whose configs to show"},
    {"broker", 0, true, "ID: the broker whose configs to show"},
};
static const sluice_opt_t alter_opts[] = {
    {"topic", 't', true, "NAME: the topic to change"},
    {"broker", 0, true, "ID: the broker to change"},
    {"set", 's', true, "NAME=VALUE: set a config, repeatable"},
    {"delete", 'd', true, "NAME: revert a config to its default, repeatable"},
};

const sluice_cmd_t sluice_configs_cmds[] = {
    {"configs", "describe", "--topic NAME | --broker ID", "every config of a topic or broker, and its source",
     describe_opts, SL_ARRAY_LEN(describe_opts), configs_describe},
    {"configs", "alter", "--topic NAME | --broker ID [--set K=V]... [--delete K]...",
     "set or revert configs of a topic or broker", alter_opts, SL_ARRAY_LEN(alter_opts), configs_alter},
};
const size_t sluice_configs_ncmds = SL_ARRAY_LEN(sluice_configs_cmds);
