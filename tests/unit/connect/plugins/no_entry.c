/* no_entry.c - a test shared object without the entry symbol. */
#include "connector.h"

SL_CONNECT_EXPORT int sl_connect_plugin_v0(void);
SL_CONNECT_EXPORT int sl_connect_plugin_v0(void)
{
    return 0;
}
