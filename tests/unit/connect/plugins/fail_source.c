/* fail_source.c - a test source that splits into tasks.max tasks, each of
 * which fails its first poll with a sentence naming its task.id. */
#include <stdio.h>

#include "connector.h"

static const sl_connect_host_t *host;

static int task_configs(void *state, sl_connect_ctx_t *ctx, int max_tasks,
                        sl_connect_taskcfgs_t *out)
{
    (void)state;
    (void)ctx;
    for (int i = 0; i < max_tasks; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%d", i);
        int rc = host->taskcfg_put(out, i, "task.id", id);
        if (rc)
            return rc;
    }
    return max_tasks;
}

static int start(sl_connect_ctx_t *ctx, void **task)
{
    *task = ctx;
    return SL_CONNECT_OK;
}

static int poll_fail(void *task, sl_connect_batch_t *batch, size_t max, int timeout_ms)
{
    (void)batch;
    (void)max;
    (void)timeout_ms;
    sl_connect_ctx_t *ctx = task;
    host->set_error(ctx, "the disk is on fire (task %s)", host->config_get(ctx, "task.id"));
    return SL_CONNECT_EIO;
}

static void stop(void *task)
{
    (void)task;
}

static const sl_connect_source_task_t vt = {.start = start, .poll = poll_fail, .stop = stop};

static const sl_connect_plugin_t plugin = {
    .abi_version = SL_CONNECT_ABI_VERSION,
    .class_name = "FailSource",
    .kind = SL_CONNECT_SOURCE,
    .task_configs = task_configs,
    .source = &vt,
};

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *h)
{
    host = h;
    return &plugin;
}
