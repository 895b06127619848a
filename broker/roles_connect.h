/*
 * roles_connect.h - sluiced's connect role (roles.c starts and stops it):
 * a distributed Connect worker and its REST service in this process. Kept
 * apart from roles.h because connect.h and the broker's headers both
 * define configuration type names.
 */
#ifndef SL_SLUICED_ROLES_CONNECT_H
#define SL_SLUICED_ROLES_CONNECT_H

#include <stdbool.h>

#include "base.h"

typedef struct sl_role_connect sl_role_connect_t;

/* Checks that the folders of props' plugin.path exist (errbuf says which
 * does not), then starts a thread that creates the distributed worker from
 * props (taken, also on failure) and its REST service on the first of
 * listeners. The thread is needed because the worker's group answers only
 * once sluiced's main loop runs; when it fails it logs why and sends this
 * process SIGTERM (sl_role_connect_failed then says so).
 * SL_ERR_CONFIG, SL_ERR_NOMEM. */
sl_err_t sl_role_connect_start(sl_props_t *props, sl_role_connect_t **out, char *errbuf, size_t errlen);
/* True when the start-up thread failed. Accepts NULL. */
bool sl_role_connect_failed(sl_role_connect_t *rc);
/* Waits for the start-up thread, stops the REST service and the worker
 * (its tasks stopped, the group left) and frees. Accepts NULL. */
void sl_role_connect_stop(sl_role_connect_t *rc);

#endif
