/* init_fail.c - a test plugin whose init() refuses to run. */
#include <stdio.h>

#include "connector.h"

static int init(char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "the license file is missing");
    return SL_CONNECT_ECONFIG;
}

static int start(sl_connect_ctx_t *ctx, void **task)
{
    (void)ctx;
    (void)task;
    return SL_CONNECT_OK;
}

static int poll_none(void *task, sl_connect_batch_t *batch, size_t max, int timeout_ms)
{
    (void)task;
    (void)batch;
    (void)max;
    (void)timeout_ms;
    return SL_CONNECT_OK;
}

static void stop(void *task)
{
    (void)task;
}

static const sl_connect_source_task_t vt = {.start = start, .poll = poll_none, .stop = stop};

static const sl_connect_plugin_t plugin = {
    .abi_version = SL_CONNECT_ABI_VERSION,
    .class_name = "InitFailSource",
    .kind = SL_CONNECT_SOURCE,
    .init = init,
    .source = &vt,
};

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *host)
{
    (void)host;
    return &plugin;
}
