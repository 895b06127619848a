/*
 * cmd_sql.c - `sluice sql`: the SQL service's client, as ksqlDB's CLI. With
 * --execute or --file it runs the statements given and stops at the first
 * that fails; otherwise it reads statements at a prompt (libedit, history in
 * ~/.sluice_sql_history) until end of input, going on after a statement
 * fails (exit status 1 at the end when statements came from a pipe and one
 * failed). Statements end at a ';'
 * outside quotes and comments (a small splitter here, so the CLI does not
 * link the SQL engine). SELECT goes to POST /query-stream and its rows print
 * as they arrive until the query ends (LIMIT, a pull query's last row) or
 * Ctrl-C, which sends POST /close-query; everything else goes to POST /ksql.
 * --output table (the default) prints tables and messages for people,
 * --output json what the server said.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <editline/readline.h>

#include "sluice.h"

#define SQL_TIMEOUT_MS 120000
#define SQL_MAX_SCRIPT (16 * 1024 * 1024)

typedef struct sql_cli {
    sluice_ctx_t *ctx;
    const char *server;
    bool json;
} sql_cli_t;

static volatile sig_atomic_t sql_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    sql_interrupted = 1;
}

/* ---- splitting statements ------------------------------------------------ */

/* Scanning state carried across lines of the prompt. */
typedef struct splitter {
    char quote;        /* '\'', '"', '`' while inside one, else 0 */
    bool block;        /* inside a block comment */
} splitter_t;

/* The length of the first complete statement of s[0..n) (up to and with
 * its ';'), or 0 when s holds none yet. Comments and quotes are skipped;
 * '' inside a string is a quote. st carries over when 0 is returned. */
static size_t split_next(splitter_t *st, const char *s, size_t n)
{
    splitter_t cur = *st;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (cur.block) {
            if (c == '*' && i + 1 < n && s[i + 1] == '/') {
                cur.block = false;
                i++;
            }
        } else if (cur.quote) {
            if (c == cur.quote) {
                if (i + 1 < n && s[i + 1] == cur.quote)
                    i++;
                else
                    cur.quote = 0;
            }
        } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
            while (i < n && s[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            cur.block = true;
            i++;
        } else if (c == '\'' || c == '"' || c == '`') {
            cur.quote = c;
        } else if (c == ';') {
            memset(st, 0, sizeof *st);
            return i + 1;
        }
    }
    return 0;
}

/* true when s holds nothing but blanks and comments. */
static bool blank_sql(const char *s)
{
    while (*s) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            s++;
        } else if (s[0] == '-' && s[1] == '-') {
            s += strcspn(s, "\n");
        } else if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            if (!e)
                return true;
            s = e + 2;
        } else {
            return false;
        }
    }
    return true;
}

/* The first keyword of a statement is SELECT. */
static bool is_select(const char *s)
{
    for (;;) {
        s += strspn(s, " \t\r\n");
        if (s[0] == '-' && s[1] == '-') {
            s += strcspn(s, "\n");
        } else if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            if (!e)
                return false;
            s = e + 2;
        } else {
            break;
        }
    }
    return strncasecmp(s, "SELECT", 6) == 0 && !((s[6] >= 'A' && s[6] <= 'Z') || (s[6] >= 'a' && s[6] <= 'z') ||
                                                  (s[6] >= '0' && s[6] <= '9') || s[6] == '_');
}

/* ---- printing ------------------------------------------------------------- */

/* A JSON value as a cell: strings bare, null as "null", others as JSON. */
static char *cell_text(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    return s ? s : strdup("?");
}

/* Prints rows of objects (an entity's list) as a table of the given
 * fields, with the given headers. */
static void print_objects(const json_t *list, size_t n, const char *const *fields, const char *const *heads)
{
    sluice_table_t t;
    sluice_table_init(&t, n, heads);
    size_t i;
    const json_t *o;
    json_array_foreach(list, i, o) {
        for (size_t k = 0; k < n; k++) {
            const json_t *v = json_object_get(o, fields[k]);
            char *s = v ? cell_text(v) : strdup("");
            sluice_table_cell(&t, "%s", s ? s : "");
            free(s);
        }
    }
    sluice_table_print(&t, stdout);
    sluice_table_free(&t);
}

/* One entity of a POST /ksql answer, for people. */
static void print_entity(const json_t *e)
{
    const char *type = json_string_value(json_object_get(e, "@type"));
    if (!type)
        type = "";
    if (strcmp(type, "currentStatus") == 0) {
        const char *m = json_string_value(json_object_get(json_object_get(e, "commandStatus"), "message"));
        printf("%s\n", m ? m : "done");
    } else if (strcmp(type, "streams") == 0 || strcmp(type, "tables") == 0) {
        const char *f[] = {"name", "topic", "keyFormat", "valueFormat", "isWindowed"};
        const char *h[] = {"NAME", "KAFKA TOPIC", "KEY FORMAT", "VALUE FORMAT", "WINDOWED"};
        print_objects(json_object_get(e, type), 5, f, h);
    } else if (strcmp(type, "queries") == 0) {
        const char *f[] = {"id", "queryType", "state", "sinks", "queryString"};
        const char *h[] = {"QUERY ID", "TYPE", "STATE", "SINKS", "QUERY"};
        print_objects(json_object_get(e, "queries"), 5, f, h);
    } else if (strcmp(type, "kafka_topics") == 0) {
        const char *f[] = {"name", "replicaInfo"};
        const char *h[] = {"KAFKA TOPIC", "PARTITION REPLICAS"};
        print_objects(json_object_get(e, "topics"), 2, f, h);
    } else if (strcmp(type, "properties") == 0) {
        const char *f[] = {"name", "scope", "value"};
        const char *h[] = {"PROPERTY", "SCOPE", "VALUE"};
        print_objects(json_object_get(e, "properties"), 3, f, h);
    } else if (strcmp(type, "function_names") == 0) {
        const char *f[] = {"name", "category"};
        const char *h[] = {"FUNCTION", "CATEGORY"};
        print_objects(json_object_get(e, "functions"), 2, f, h);
    } else if (strcmp(type, "print") == 0) {
        size_t i;
        const json_t *r;
        json_array_foreach(json_object_get(e, "records"), i, r)
            printf("%s\n", json_string_value(r) ? json_string_value(r) : "");
    } else {
        json_dumpf(e, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    }
}

/* The server's error body: its message (and the statement), on stderr. */
static int report_error(int status, const char *body)
{
    json_error_t je;
    json_t *j = body ? json_loads(body, 0, &je) : NULL;
    const char *m = json_string_value(json_object_get(j, "message"));
    if (m)
        sluice_err("%s", m);
    else
        sluice_err("the SQL service answered HTTP %d: %.300s", status, body ? body : "");
    json_decref(j);
    return SLUICE_FAILED;
}

/* ---- the two kinds of request ---------------------------------------------- */

static char *request_body(const char *key, const char *text)
{
    json_t *j = json_pack("{s:s, s:{}}", key, text, strcmp(key, "sql") == 0 ? "properties" : "streamsProperties");
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static int run_ksql(sql_cli_t *cli, const char *text)
{
    char *body = request_body("ksql", text);
    if (!body)
        return SLUICE_FAILED;
    sluice_http_t h = {.interrupted = &sql_interrupted};
    bool ok = sluice_http_post(&h, cli->server, "/ksql", "application/json", body, cli->ctx->timeout_ms);
    free(body);
    char *resp = ok ? sluice_http_body(&h, SQL_TIMEOUT_MS) : NULL;
    int rc = SLUICE_OK;
    if (!resp) {
        sluice_err("%s: %s", cli->server, h.error);
        rc = SLUICE_FAILED;
    } else if (h.status != 200) {
        rc = report_error(h.status, resp);
    } else if (cli->json) {
        fputs(resp, stdout);
        if (!*resp || resp[strlen(resp) - 1] != '\n')
            fputc('\n', stdout);
    } else {
        json_error_t je;
        json_t *arr = json_loads(resp, 0, &je);
        if (!json_is_array(arr)) {
            sluice_err("the SQL service's answer is not a JSON array: %s", je.text);
            rc = SLUICE_FAILED;
        }
        size_t i;
        const json_t *e;
        json_array_foreach(arr, i, e)
            print_entity(e);
        json_decref(arr);
    }
    free(resp);
    sluice_http_close(&h);
    return rc;
}

/* Tells the service to stop query id (after Ctrl-C). */
static void close_query(sql_cli_t *cli, const char *id)
{
    json_t *j = json_pack("{s:s}", "queryId", id);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body)
        return;
    sluice_http_t h = {.interrupted = NULL};
    if (sluice_http_post(&h, cli->server, "/close-query", "application/json", body, cli->ctx->timeout_ms))
        free(sluice_http_body(&h, cli->ctx->timeout_ms));
    sluice_http_close(&h);
    free(body);
}

/* Prints one row of cells, each padded to its column's width. */
static void print_row(const json_t *cells, const size_t *widths, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        char *s = cell_text(json_array_get(cells, k));
        printf("%s%-*s", k ? " | " : "", k + 1 < n ? (int)widths[k] : 0, s ? s : "");
        free(s);
    }
    fputc('\n', stdout);
}

static int run_select(sql_cli_t *cli, const char *text)
{
    char *body = request_body("sql", text);
    if (!body)
        return SLUICE_FAILED;
    sql_interrupted = 0;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    sluice_http_t h = {.interrupted = &sql_interrupted};
    bool ok = sluice_http_post(&h, cli->server, "/query-stream", "application/vnd.ksqlapi.delimited.v1", body,
                               cli->ctx->timeout_ms);
    free(body);
    int rc = SLUICE_OK;
    char id[256] = "";
    size_t widths[256];
    size_t ncols = 0, nrows = 0;
    if (!ok) {
        sluice_err("%s: %s", cli->server, h.error);
        rc = SLUICE_FAILED;
    } else if (h.status != 200) {
        char *resp = sluice_http_body(&h, SQL_TIMEOUT_MS);
        rc = report_error(h.status, resp ? resp : h.error);
        free(resp);
    } else {
        char *line = NULL;
        int r;
        while ((r = sluice_http_line(&h, &line, -1)) > 0) {
            if (!*line) {
                free(line);
                continue;
            }
            if (cli->json) {
                printf("%s\n", line);
                fflush(stdout);
            }
            json_error_t je;
            json_t *j = json_loads(line, 0, &je);
            free(line);
            if (json_is_object(j) && json_object_get(j, "queryId") && !id[0]) {
                snprintf(id, sizeof id, "%s", json_string_value(json_object_get(j, "queryId")));
                const json_t *names = json_object_get(j, "columnNames");
                ncols = json_array_size(names) < 256 ? json_array_size(names) : 256;
                for (size_t k = 0; k < ncols; k++) {
                    const char *nm = json_string_value(json_array_get(names, k));
                    widths[k] = nm && strlen(nm) > 12 ? strlen(nm) : 12;
                }
                if (!cli->json) {
                    print_row(names, widths, ncols);
                    for (size_t k = 0; k < ncols; k++) {
                        for (size_t w = 0; w < widths[k] + (k ? 3 : 0); w++)
                            fputc(k && w < 3 ? (w == 1 ? '+' : '-') : '-', stdout);
                    }
                    fputc('\n', stdout);
                }
            } else if (json_is_array(j)) {
                nrows++;
                if (!cli->json)
                    print_row(j, widths, ncols);
            } else if (json_is_object(j) && json_object_get(j, "message")) {
                if (!cli->json)
                    sluice_err("%s", json_string_value(json_object_get(j, "message")));
                rc = SLUICE_FAILED;
            }
            json_decref(j);
            fflush(stdout);
        }
        if (r < 0 && h.was_interrupted) {
            if (id[0])
                close_query(cli, id);
            if (!cli->json)
                printf("Query terminated\n");
        } else if (r < 0) {
            sluice_err("%s: %s", cli->server, h.error);
            rc = SLUICE_FAILED;
        } else if (!cli->json && rc == SLUICE_OK) {
            printf("(%zu row%s)\n", nrows, nrows == 1 ? "" : "s");
        }
    }
    sluice_http_close(&h);
    sigaction(SIGINT, &old, NULL);
    sql_interrupted = 0;
    return rc;
}

static int run_statement(sql_cli_t *cli, const char *text)
{
    if (blank_sql(text))
        return SLUICE_OK;
    int rc = is_select(text) ? run_select(cli, text) : run_ksql(cli, text);
    fflush(stdout);
    return rc;
}

/* Runs every statement of a script; stops at the first that fails. A last
 * statement without ';' runs too. */
static int run_script(sql_cli_t *cli, const char *text)
{
    size_t n = strlen(text), off = 0;
    while (off < n) {
        splitter_t st = {0};
        size_t len = split_next(&st, text + off, n - off);
        if (len == 0)
            len = n - off;
        char *stmt = strndup(text + off, len);
        if (!stmt)
            return SLUICE_FAILED;
        int rc = run_statement(cli, stmt);
        free(stmt);
        if (rc != SLUICE_OK)
            return rc;
        off += len;
    }
    return SLUICE_OK;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 65536;
            char *b = cap <= SQL_MAX_SCRIPT ? realloc(buf, cap + 1) : NULL;
            if (!b) {
                free(buf);
                fclose(f);
                errno = EFBIG;
                return NULL;
            }
            buf = b;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* ---- the prompt --------------------------------------------------------------- */

static int repl(sql_cli_t *cli)
{
    char hist[4096] = "";
    const char *home = getenv("HOME");
    bool tty = isatty(0);
    if (tty && home && *home) {
        snprintf(hist, sizeof hist, "%s/.sluice_sql_history", home);
        using_history();
        read_history(hist);
    }
    if (tty)
        printf("sluice sql: connected to %s. Statements end with ';'. Ctrl-D quits.\n", cli->server);
    char *pending = NULL;
    size_t plen = 0;
    splitter_t st = {0};
    bool failed = false;
    for (;;) {
        char *line = readline(pending ? "     > " : "sql> ");
        if (!line)
            break;
        size_t ll = strlen(line);
        char *p = realloc(pending, plen + ll + 2);
        if (!p) {
            free(line);
            break;
        }
        pending = p;
        memcpy(pending + plen, line, ll);
        plen += ll;
        pending[plen++] = '\n';
        pending[plen] = '\0';
        free(line);
        /* Scan only the new line; run each statement it completes. */
        size_t off = 0;
        for (;;) {
            size_t len = split_next(&st, pending + off, plen - off);
            if (len == 0)
                break;
            char *stmt = strndup(pending + off, len);
            if (stmt) {
                if (hist[0] && !blank_sql(stmt)) {
                    /* One history line per statement, blanks collapsed. */
                    char *h = strdup(stmt + strspn(stmt, " \t\r\n"));
                    if (h) {
                        size_t w = 0;
                        for (size_t r = 0; h[r]; r++) {
                            bool sp = h[r] == ' ' || h[r] == '\t' || h[r] == '\r' || h[r] == '\n';
                            if (!sp || (w && h[w - 1] != ' '))
                                h[w++] = sp ? ' ' : h[r];
                        }
                        h[w] = '\0';
                        add_history(h);
                        free(h);
                    }
                }
                failed |= run_statement(cli, stmt) != SLUICE_OK;
                free(stmt);
            }
            off += len;
        }
        memmove(pending, pending + off, plen - off + 1);
        plen -= off;
        if (blank_sql(pending)) {
            free(pending);
            pending = NULL;
            plen = 0;
            memset(&st, 0, sizeof st);
        } else {
            /* Rescan the unfinished text next time from its start. */
            memset(&st, 0, sizeof st);
        }
    }
    if (pending && !blank_sql(pending))
        failed |= run_statement(cli, pending) != SLUICE_OK;
    free(pending);
    if (hist[0])
        write_history(hist);
    if (tty)
        fputc('\n', stdout);
    /* At a terminal a failure was seen and the session went on; read from
     * a pipe, the exit status says whether every statement ran. */
    return tty || !failed ? SLUICE_OK : SLUICE_FAILED;
}

static int sql_main(sluice_ctx_t *ctx)
{
    sql_cli_t cli = {.ctx = ctx};
    cli.server = sluice_arg(ctx->args, "server");
    if (!cli.server || !*cli.server)
        cli.server = getenv("SLUICE_SQL_SERVER");
    if (!cli.server || !*cli.server)
        cli.server = "http://localhost:8088";
    char host[256], port[16], why[128];
    if (!sluice_http_parse_url(cli.server, host, sizeof host, port, sizeof port, why, sizeof why))
        return sluice_usage(ctx, "--server %s: %s", cli.server, why);
    const char *out = sluice_arg(ctx->args, "output");
    if (out && strcmp(out, "json") != 0 && strcmp(out, "table") != 0)
        return sluice_usage(ctx, "--output wants table or json, not '%s'", out);
    cli.json = ctx->json || (out && strcmp(out, "json") == 0);
    const char *exec = sluice_arg(ctx->args, "execute");
    const char *file = sluice_arg(ctx->args, "file");
    if (ctx->args->npos)
        return sluice_usage(ctx, "sql takes no arguments (use --execute or --file)");
    if (exec && file)
        return sluice_usage(ctx, "give --execute or --file, not both");
    if (exec)
        return run_script(&cli, exec);
    if (file) {
        char *text = read_file(file);
        if (!text) {
            sluice_err("cannot read %s: %s", file, strerror(errno));
            return SLUICE_FAILED;
        }
        int rc = run_script(&cli, text);
        free(text);
        return rc;
    }
    return repl(&cli);
}

static const sluice_opt_t sql_opts[] = {
    {"server", 0, true, "URL: the SQL service (else $SLUICE_SQL_SERVER, else http://localhost:8088)"},
    {"execute", 'e', true, "SQL: run these statements and exit"},
    {"file", 'f', true, "PATH: run the statements of this file and exit"},
    {"output", 0, true, "FORMAT: table (default) or json (what the server says)"},
};

const sluice_cmd_t sluice_sql_cmds[] = {
    {"sql", NULL, "[--server URL] [--execute SQL | --file PATH] [--output table|json]",
     "run SQL statements against the SQL service (a prompt without --execute/--file)", sql_opts,
     sizeof sql_opts / sizeof sql_opts[0], sql_main},
};
const size_t sluice_sql_ncmds = 1;
