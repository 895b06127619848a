/* no_vtable.c - a test plugin saying "sink" without a sink vtable. */
#include <stddef.h>

#include "connector.h"

static const sl_connect_plugin_t plugin = {
    .abi_version = SL_CONNECT_ABI_VERSION,
    .class_name = "HollowSink",
    .kind = SL_CONNECT_SINK,
};

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *host)
{
    (void)host;
    return &plugin;
}
