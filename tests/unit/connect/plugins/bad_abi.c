/* bad_abi.c - a test plugin claiming an ABI version the worker does not speak. */
#include "connector.h"

static const sl_connect_plugin_t plugin = {
    .abi_version = 42,  /* no version the worker speaks */
    .class_name = "BadAbiSource",
    .kind = SL_CONNECT_SOURCE,
};

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *host)
{
    (void)host;
    return &plugin;
}
