/*
 * roles.h - sluiced's roles: which services one sluiced process runs
 * (sluice.roles: broker, sql, connect) and the settings of the sql and
 * connect roles. The broker role is the broker library; the sql role is a
 * SQL engine (libsluice-sql) and the connect role a distributed Connect
 * worker (libsluice-connect), each reaching this process's broker over the
 * wire, like any client, with its own REST service. Only the sluiced
 * executable links these files (the broker library never links sql/ or
 * connect/).
 */
#ifndef SL_SLUICED_ROLES_H
#define SL_SLUICED_ROLES_H

#include <stdbool.h>
#include <stdio.h>

#include "broker_int.h"

typedef struct sl_roles {
    bool broker;
    bool sql;
    bool run_connect;
    char sql_listeners[1024];   /* sql.listeners */
    char sql_service_id[256];   /* sql.service.id */
    char sql_state_dir[4096];   /* sql.state.dir */
    struct sl_sql_engine *engine;
    struct sl_sql_rest *rest;
    /* connect: the worker settings (the defaults, then connect.* keys
     * without the prefix) until started, then the running role. */
    sl_props_t *connect_props;
    struct sl_role_connect *connect;
} sl_roles_t;

/* True for the keys the roles own (so the broker's loader need not warn
 * that it does not know them). */
bool sl_roles_is_key(const char *key);
/* Reads and checks the role keys of a loaded configuration (borrowed).
 * SL_ERR_CONFIG with errbuf "<origin>:<line>: <key>=<value>: <why>" for a
 * bad value. */
sl_err_t sl_roles_load(const sl_broker_config_t *cfg, sl_roles_t *out, char *errbuf, size_t errlen);
/* Prints the role keys with their defaults and one line of help. */
void sl_roles_help(FILE *out);
/* Starts the roles asked for against the started broker b: sql (the
 * engine, its command topic replayed and its persistent queries running,
 * then its REST service), and connect (its plugin folder checked here,
 * then a thread creates the distributed worker, which joins its group
 * through this broker's coordinator once the main loop runs, and starts
 * its REST service; a failure there is logged). On failure errbuf says
 * which step and why. */
sl_err_t sl_roles_start(sl_roles_t *r, const sl_broker_t *b, const sl_broker_config_t *cfg, char *errbuf,
                        size_t errlen);
/* True when a role failed after sl_roles_start returned (the connect
 * role's start-up thread: it stops sluiced with SIGTERM, and sluiced then
 * exits with status 1). */
bool sl_roles_failed(const sl_roles_t *r);
/* Stops the roles' REST services, the Connect worker (its tasks stopped,
 * the group left) and the SQL engine, before the broker stops. */
void sl_roles_stop(sl_roles_t *r);

#endif
