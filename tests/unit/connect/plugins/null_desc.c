/* null_desc.c - a test plugin whose entry point returns no descriptor. */
#include <stddef.h>

#include "connector.h"

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *host)
{
    (void)host;
    return NULL;
}
