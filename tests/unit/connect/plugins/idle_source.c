/* idle_source.c - a test source that never produces: it splits into
 * tasks.max tasks (task.id), and each poll appends one byte to poll.file
 * (when set) and waits a little, or fails while fail.file exists. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "connector.h"

static const sl_connect_host_t *host;

static const sl_connect_configdef_t defs[] = {
    {"poll.file", SL_CFG_STRING, "", SL_IMPORTANCE_LOW, "Grows by one byte per poll."},
    {"fail.file", SL_CFG_STRING, "", SL_IMPORTANCE_LOW, "Polls fail while it exists."},
};

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

static int poll_idle(void *task, sl_connect_batch_t *batch, size_t max, int timeout_ms)
{
    (void)batch;
    (void)max;
    sl_connect_ctx_t *ctx = task;
    const char *fail = host->config_get(ctx, "fail.file");
    if (fail && *fail && access(fail, F_OK) == 0) {
        host->set_error(ctx, "%s exists", fail);
        return SL_CONNECT_EIO;
    }
    const char *pf = host->config_get(ctx, "poll.file");
    if (pf && *pf) {
        FILE *f = fopen(pf, "a");
        if (f) {
            fputc('.', f);
            fclose(f);
        }
    }
    struct timespec ts = {0, (timeout_ms < 20 ? timeout_ms : 20) * 1000000L};
    nanosleep(&ts, NULL);
    return SL_CONNECT_OK;
}

static void stop(void *task)
{
    (void)task;
}

static const sl_connect_source_task_t vt = {.start = start, .poll = poll_idle, .stop = stop};

static const sl_connect_plugin_t plugin = {
    .abi_version = SL_CONNECT_ABI_VERSION,
    .class_name = "IdleSource",
    .kind = SL_CONNECT_SOURCE,
    .config_defs = defs,
    .config_def_count = sizeof(defs) / sizeof(defs[0]),
    .task_configs = task_configs,
    .source = &vt,
};

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *h)
{
    host = h;
    return &plugin;
}
