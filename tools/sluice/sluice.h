/*
 * sluice.h - what the `sluice` command-line tool's files share: command
 * line parsing (args.c), human tables and times (table.c), the connection
 * to the cluster and error reporting (conn.c), and the commands
 * (cmd_*.c). Everything runs on the one main thread.
 *
 * Exit codes: SLUICE_OK 0, SLUICE_FAILED 1 (the cluster refused or could
 * not be reached), SLUICE_USAGE 2 (the command line is wrong).
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "client.h"

enum { SLUICE_OK = 0, SLUICE_FAILED = 1, SLUICE_USAGE = 2 };

/* ---- command lines (args.c) ---------------------------------------------- */

/* One option a command accepts: --name (and -c when short_name is set),
 * with a value (--name V or --name=V) when has_arg; repeatable options keep
 * every value, others the last. */
typedef struct sluice_opt {
    const char *name;
    char short_name;
    bool has_arg;
    const char *help;           /* "N: partitions of the new topic" */
} sluice_opt_t;

#define SLUICE_MAX_VALUES 256
#define SLUICE_MAX_POS 64

typedef struct sluice_args {
    const sluice_opt_t *opts;   /* the command's, then the common ones */
    size_t nopts;
    /* (option, value) in command-line order; value NULL for flags */
    struct { const sluice_opt_t *opt; const char *value; } vals[SLUICE_MAX_VALUES];
    size_t nvals;
    const char *pos[SLUICE_MAX_POS];
    size_t npos;
    char error[256];            /* why parsing failed */
} sluice_args_t;

/* The options every command takes (-b, --json, --timeout, -X, --help). */
extern const sluice_opt_t sluice_common_opts[];
extern const size_t sluice_common_nopts;

/* Parses argv[0..argc) (borrowed; values point into it) against opts and
 * the common options. "--" ends the options. Returns false with
 * args->error set for an unknown option, a missing value, or too many
 * arguments. */
bool sluice_args_parse(sluice_args_t *args, const sluice_opt_t *opts, size_t nopts, int argc, char **argv);
/* The last value of option name (NULL when absent or a flag). */
const char *sluice_arg(const sluice_args_t *args, const char *name);
/* true when option name was given. */
bool sluice_flag(const sluice_args_t *args, const char *name);
/* Every value of a repeatable option: call with *it 0 and again while it
 * returns a value. */
const char *sluice_arg_next(const sluice_args_t *args, const char *name, size_t *it);

/* Numbers: the whole of s must be a decimal integer within [min, max].
 * false otherwise. */
bool sluice_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* "key=value" split at the first '=' into key/value copies (caller frees
 * *key; *value points into the same allocation). false when there is no
 * '=' or the key is empty. */
bool sluice_parse_kv(const char *s, char **key, const char **value);
/* An ISO-8601 date and time, "2026-11-24T21:00:00", with optional
 * ".SSS" and a "Z" or "+HH:MM"/"-HH:MM" suffix (no suffix: UTC), or a
 * plain number of milliseconds since the epoch. false when malformed. */
bool sluice_parse_datetime(const char *s, int64_t *ms);

/* ---- output (table.c) -------------------------------------------------- */

/* A table printed with aligned columns: headers, then rows of cells added
 * one by one (sluice_table_cell), a new row every ncols cells. */
typedef struct sluice_table {
    size_t ncols;
    char **cells;               /* headers first; malloc'ed copies */
    size_t ncells, cap;
    bool nomem;
} sluice_table_t;

void sluice_table_init(sluice_table_t *t, size_t ncols, const char *const *headers);
void sluice_table_cell(sluice_table_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the table (columns two spaces apart, the last not padded). */
void sluice_table_print(const sluice_table_t *t, FILE *f);
void sluice_table_free(sluice_table_t *t);
/* "2026-11-24T21:00:00.000Z" for ms since the epoch, into buf. */
const char *sluice_fmt_time(int64_t ms, char *buf, size_t len);
/* Prints j to stdout (indented) and a newline, then drops j. SLUICE_OK, or
 * SLUICE_FAILED when out of memory. */
int sluice_json_print(json_t *j);

/* Progress of a long produce or consume on stderr ("12000 messages,
 * 4000 msg/s"), only when stderr is a terminal, at most once a second. */
typedef struct sluice_progress {
    bool tty;
    const char *verb;           /* "produced" */
    int64_t start_ms, last_ms;  /* monotonic */
} sluice_progress_t;
void sluice_progress_init(sluice_progress_t *p, const char *verb);
void sluice_progress(sluice_progress_t *p, uint64_t count);
/* Clears the progress line (before the summary). */
void sluice_progress_end(sluice_progress_t *p);

/* ---- records (msgfmt.c) ------------------------------------------------- */

/* true when every {field} of fmt is known; else false with err saying
 * which is not. */
bool sluice_format_check(const char *fmt, char *err, size_t errlen);
/* Writes m to f as fmt says: {key} {value} {topic} {partition} {offset}
 * {timestamp} {headers} (k=v,k=v) and the escapes \n \t \\. */
void sluice_format_message(FILE *f, const char *fmt, const sl_message_t *m);
/* m as a JSON object (topic, partition, offset, timestamp, key, value,
 * headers); bytes that are not UTF-8 as {"base64": ...}. New reference. */
json_t *sluice_message_json(const sl_message_t *m);

/* ---- the cluster (conn.c) ----------------------------------------------- */

typedef struct sluice_ctx {
    const char *prog;           /* "sluice" */
    const char *bootstrap;      /* -b, else $SLUICE_BOOTSTRAP, else localhost:9092 */
    bool json;
    int timeout_ms;             /* --timeout, default 10000 */
    sluice_args_t *args;
    sl_conf_t *conf;            /* bootstrap.servers and -X settings */
    sl_admin_t *admin;          /* opened by sluice_admin() */
} sluice_ctx_t;

/* Builds ctx->conf from the bootstrap and every -X key=value. Prints what
 * was wrong and returns SLUICE_USAGE for a bad setting. */
int sluice_conf(sluice_ctx_t *ctx);
/* The admin handle (created on first use). NULL after printing why. */
sl_admin_t *sluice_admin(sluice_ctx_t *ctx);
/* Reports a failed call (exit code SLUICE_FAILED): "sluice: <doing>:
 * <why>" and a hint for connection trouble or a missing topic/group.
 * Returns SLUICE_FAILED. */
int sluice_fail(sluice_ctx_t *ctx, sl_err_t err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints "sluice: <message>" and the command's usage hint; returns
 * SLUICE_USAGE. */
int sluice_usage(sluice_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "sluice: <message>" to stderr (no hint). */
void sluice_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Collects the NAME=VALUE values of option opt into *out (malloc'ed, with
 * their own copies; free with sluice_free_entries even on failure).
 * SLUICE_OK, SLUICE_USAGE (after saying which value is wrong),
 * SLUICE_FAILED (no memory). */
int sluice_collect_configs(sluice_ctx_t *ctx, const char *opt, sl_config_entry_t **out, size_t *n);
void sluice_free_entries(sl_config_entry_t *e, size_t n);
/* The partition count of topic (checked to exist first, so produce and
 * consume fail at once for a missing topic). SLUICE_OK or SLUICE_FAILED
 * after saying why. */
int sluice_topic_partitions(sluice_ctx_t *ctx, const char *topic, int32_t *count);
/* Frees what ctx opened. */
void sluice_ctx_fini(sluice_ctx_t *ctx);

/* ---- commands (cmd_*.c) ------------------------------------------------- */

/* Applies the NAME=VALUE values of set_opt and the names of del_opt to the
 * configs of a topic or broker (IncrementalAlterConfigs), printing the
 * outcome (into j when --json). cmd_configs.c. */
int sluice_apply_configs(sluice_ctx_t *ctx, sl_resource_type_t type, const char *name, const char *set_opt,
                         const char *del_opt, json_t *j);

/* A command family: "topics" with its subcommands, or "cluster" alone. */
typedef struct sluice_cmd {
    const char *name;
    const char *sub;            /* NULL: no subcommand */
    const char *synopsis;       /* "NAME [--partitions N] ..." */
    const char *summary;
    const sluice_opt_t *opts;
    size_t nopts;
    int (*run)(sluice_ctx_t *ctx);
} sluice_cmd_t;

extern const sluice_cmd_t sluice_topics_cmds[];
extern const size_t sluice_topics_ncmds;
extern const sluice_cmd_t sluice_configs_cmds[];
extern const size_t sluice_configs_ncmds;
extern const sluice_cmd_t sluice_cluster_cmds[];
extern const size_t sluice_cluster_ncmds;
extern const sluice_cmd_t sluice_groups_cmds[];
extern const size_t sluice_groups_ncmds;
extern const sluice_cmd_t sluice_produce_cmds[];
extern const size_t sluice_produce_ncmds;
extern const sluice_cmd_t sluice_consume_cmds[];
extern const size_t sluice_consume_ncmds;
extern const sluice_cmd_t sluice_sql_cmds[];
extern const size_t sluice_sql_ncmds;
extern const sluice_cmd_t sluice_connect_cmds[];
extern const size_t sluice_connect_ncmds;

/* ---- HTTP/1.1 client for the SQL service (http.c) ------------------------ */

/* One request and its response. Set interrupted (may be NULL) before
 * sluice_http_post: while it is non-zero every wait gives up (Ctrl-C). */
typedef struct sluice_http {
    volatile sig_atomic_t *interrupted;
    bool was_interrupted;       /* the last failure was an interruption */
    int fd;
    int status;                 /* the response's status code */
    char content_type[128];
    bool chunked, chunk_seen, done;
    int64_t remaining;          /* body bytes left (-1: until close); of the chunk */
    char raw[65536];            /* bytes read, not yet used */
    size_t rlen, roff;
    char *body;                 /* decoded body bytes not yet returned */
    size_t blen, bcap, boff;
    char error[512];            /* why the last call failed */
} sluice_http_t;

/* Splits "http://HOST[:PORT][/...]" (scheme optional; port 80 if none). */
bool sluice_http_parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen, char *why,
                           size_t whylen);
/* Connects to url's host, sends method path (already URL-encoded) with body
 * (JSON, borrowed; NULL: none) and reads the status line and headers,
 * within timeout_ms. false with h->error set otherwise; close h either way. */
bool sluice_http_request(sluice_http_t *h, const char *method, const char *url, const char *path,
                         const char *accept, const char *body, int timeout_ms);
/* sluice_http_request with POST. */
bool sluice_http_post(sluice_http_t *h, const char *url, const char *path, const char *accept, const char *body,
                      int timeout_ms);
/* The next line of the body (without its end; the caller frees *line),
 * waiting at most timeout_ms (-1: until it comes). 1 with a line, 0 at the
 * end of the body, -1 on error, timeout or interruption (h->error). */
int sluice_http_line(sluice_http_t *h, char **line, int timeout_ms);
/* The rest of the body, NUL-terminated (the caller frees), or NULL with
 * h->error set. */
char *sluice_http_body(sluice_http_t *h, int timeout_ms);
void sluice_http_close(sluice_http_t *h);

#endif /* SLUICE_H */
