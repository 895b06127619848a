/*
 * cmd_cluster.c - `sluice cluster`: the cluster id, the controller and the
 * brokers with their addresses and racks.
 */
#include "sluice.h"

static int cluster(sluice_ctx_t *ctx)
{
    if (ctx->args->npos)
        return sluice_usage(ctx, "cluster takes no arguments");
    sl_admin_t *a = sluice_admin(ctx);
    if (!a)
        return SLUICE_FAILED;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_cluster_desc_t c;
    int rc = SLUICE_OK;
    sl_err_t err = sl_admin_describe_cluster(a, &arena, &c, ctx->timeout_ms);
    if (err) {
        rc = sluice_fail(ctx, err, "describing the cluster at %s", ctx->bootstrap);
    } else if (ctx->json) {
        json_t *brokers = json_array();
        for (size_t i = 0; i < c.broker_count; i++) {
            const sl_broker_desc_t *b = &c.brokers[i];
            json_array_append_new(brokers, json_pack("{s:i, s:s, s:i, s:o}", "id", b->id, "host", b->host, "port",
                                                     b->port, "rack", b->rack ? json_string(b->rack) : json_null()));
        }
        rc = sluice_json_print(json_pack("{s:s, s:i, s:o}", "cluster_id", c.cluster_id, "controller",
                                         c.controller_id, "brokers", brokers));
    } else {
        printf("Cluster ID: %s\nController: %d\n\n", c.cluster_id[0] ? c.cluster_id : "(none)", (int)c.controller_id);
        const char *heads[] = {"BROKER", "HOST", "PORT", "RACK"};
        sluice_table_t t;
        sluice_table_init(&t, 4, heads);
        for (size_t i = 0; i < c.broker_count; i++) {
            const sl_broker_desc_t *b = &c.brokers[i];
            sluice_table_cell(&t, "%d%s", (int)b->id, b->id == c.controller_id ? " (controller)" : "");
            sluice_table_cell(&t, "%s", b->host);
            sluice_table_cell(&t, "%d", (int)b->port);
            sluice_table_cell(&t, "%s", b->rack ? b->rack : "-");
        }
        sluice_table_print(&t, stdout);
        sluice_table_free(&t);
    }
    sl_arena_fini(&arena);
    return rc;
}

const sluice_cmd_t sluice_cluster_cmds[] = {
    {"cluster", NULL, "", "the cluster id, the controller and the brokers", NULL, 0, cluster},
};
const size_t sluice_cluster_ncmds = SL_ARRAY_LEN(sluice_cluster_cmds);
