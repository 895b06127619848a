/*
 * main.c - `sluice`, the command-line tool for Kafka-compatible clusters
 * (Kafka's bin/ tools and kcat in one): finds the command among the
 * families' tables, parses its options, sets up the connection settings and
 * runs it.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

typedef struct family {
    const sluice_cmd_t *cmds;
    const size_t *n;
} family_t;

static const family_t families[] = {
    {sluice_topics_cmds, &sluice_topics_ncmds},
    {sluice_configs_cmds, &sluice_configs_ncmds},
    {sluice_cluster_cmds, &sluice_cluster_ncmds},
    {sluice_groups_cmds, &sluice_groups_ncmds},
    {sluice_produce_cmds, &sluice_produce_ncmds},
    {sluice_consume_cmds, &sluice_consume_ncmds},
    {sluice_sql_cmds, &sluice_sql_ncmds},
    {sluice_connect_cmds, &sluice_connect_ncmds},
};

static void print_opts(const sluice_opt_t *opts, size_t n, FILE *f)
{
    for (size_t i = 0; i < n; i++) {
        /* "VALUE: text" names the value (which may hold ':' itself). */
        const char *colon = strstr(opts[i].help, ": ");
        char head[64];
        if (opts[i].has_arg && colon)
            snprintf(head, sizeof head, "--%s %.*s", opts[i].name, (int)(colon - opts[i].help), opts[i].help);
        else
            snprintf(head, sizeof head, "--%s", opts[i].name);
        char shorts[8] = "";
        if (opts[i].short_name)
            snprintf(shorts, sizeof shorts, "-%c, ", opts[i].short_name);
        const char *text = opts[i].has_arg && colon ? colon + 2 : opts[i].help;
        fprintf(f, "  %4s%-32s %s\n", shorts, head, text);
    }
}

static void usage_all(const char *prog, FILE *f)
{
    fprintf(f, "usage: %s [-b HOST:PORT] COMMAND [ARGS] [OPTIONS]\n\ncommands:\n", prog);
    for (size_t k = 0; k < SL_ARRAY_LEN(families); k++)
        for (size_t i = 0; i < *families[k].n; i++) {
            const sluice_cmd_t *c = &families[k].cmds[i];
            char name[64];
            snprintf(name, sizeof name, "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
            fprintf(f, "  %-24s %s\n", name, c->summary);
        }
    fprintf(f, "\noptions of every command:\n");
    print_opts(sluice_common_opts, sluice_common_nopts, f);
    fprintf(f, "\n`%s COMMAND --help` shows a command's own options.\n"
               "Exit status: 0 done, 1 the cluster refused or could not be reached, 2 bad command line.\n",
            prog);
}

static void usage_cmd(const char *prog, const sluice_cmd_t *c, FILE *f)
{
    fprintf(f, "usage: %s %s%s%s %s\n  %s\n", prog, c->name, c->sub ? " " : "", c->sub ? c->sub : "", c->synopsis,
            c->summary);
    if (c->nopts) {
        fprintf(f, "\noptions:\n");
        print_opts(c->opts, c->nopts, f);
    }
    fprintf(f, "\noptions of every command:\n");
    print_opts(sluice_common_opts, sluice_common_nopts, f);
}

/* Is argv[i] a common option that takes its value from argv[i + 1]? */
static bool takes_next(const char *a)
{
    for (size_t k = 0; k < sluice_common_nopts; k++) {
        const sluice_opt_t *o = &sluice_common_opts[k];
        if (!o->has_arg)
            continue;
        if ((a[0] == '-' && a[1] == '-' && strcmp(a + 2, o->name) == 0) ||
            (a[0] == '-' && a[1] == o->short_name && a[2] == '\0'))
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    const char *prog = "sluice";
    sl_log_set_level(SL_LOG_ERROR);
    /* Leading common options, then the command's words. */
    int i = 1;
    while (i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--") != 0) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage_all(prog, stdout);
            return SLUICE_OK;
        }
        i += takes_next(argv[i]) ? 2 : 1;
    }
    if (i >= argc) {
        usage_all(prog, stderr);
        return SLUICE_USAGE;
    }
    int lead_end = i;
    const char *name = argv[i];
    const char *sub = i + 1 < argc ? argv[i + 1] : NULL;
    const sluice_cmd_t *cmd = NULL;
    bool family_known = false;
    for (size_t k = 0; k < SL_ARRAY_LEN(families) && !cmd; k++)
        for (size_t j = 0; j < *families[k].n; j++) {
            const sluice_cmd_t *c = &families[k].cmds[j];
            if (strcmp(c->name, name) != 0)
                continue;
            family_known = true;
            if (!c->sub || (sub && strcmp(c->sub, sub) == 0)) {
                cmd = c;
                break;
            }
        }
    if (!cmd) {
        if (!family_known) {
            fprintf(stderr, "sluice: unknown command '%s'\n", name);
        } else {
            bool help = sub && (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0);
            FILE *f = help ? stdout : stderr;
            if (!help)
                fprintf(stderr, sub ? "sluice: unknown %s command '%s'\n" : "sluice: %s needs a command\n", name,
                        sub);
            fprintf(f, "%s commands:\n", name);
            for (size_t k = 0; k < SL_ARRAY_LEN(families); k++)
                for (size_t j = 0; j < *families[k].n; j++)
                    if (strcmp(families[k].cmds[j].name, name) == 0)
                        fprintf(f, "  %s %-14s %s\n", name, families[k].cmds[j].sub, families[k].cmds[j].summary);
            if (help)
                return SLUICE_OK;
        }
        fprintf(stderr, "  Run `%s --help` for the commands.\n", prog);
        return SLUICE_USAGE;
    }
    int words = cmd->sub ? 2 : 1;
    /* The command's argv: the leading options and everything after its words. */
    int rest = argc - lead_end - words;
    char **av = calloc((size_t)(lead_end - 1 + rest) + 1, sizeof *av);
    if (!av) {
        sluice_err("out of memory");
        return SLUICE_FAILED;
    }
    int ac = 0;
    for (int k = 1; k < lead_end; k++)
        av[ac++] = argv[k];
    for (int k = lead_end + words; k < argc; k++)
        av[ac++] = argv[k];

    static sluice_args_t args;
    sluice_ctx_t ctx = {.prog = prog, .args = &args, .timeout_ms = 10000};
    int rc;
    if (!sluice_args_parse(&args, cmd->opts, cmd->nopts, ac, av)) {
        rc = sluice_usage(&ctx, "%s%s%s: %s", cmd->name, cmd->sub ? " " : "", cmd->sub ? cmd->sub : "", args.error);
        goto out;
    }
    if (sluice_flag(&args, "help")) {
        usage_cmd(prog, cmd, stdout);
        rc = SLUICE_OK;
        goto out;
    }
    ctx.json = sluice_flag(&args, "json");
    ctx.bootstrap = sluice_arg(&args, "bootstrap");
    if (!ctx.bootstrap || !*ctx.bootstrap)
        ctx.bootstrap = getenv("SLUICE_BOOTSTRAP");
    if (!ctx.bootstrap || !*ctx.bootstrap)
        ctx.bootstrap = "localhost:9092";
    const char *t = sluice_arg(&args, "timeout");
    int64_t tmo;
    if (t && !sluice_parse_i64(t, 1, INT32_MAX, &tmo)) {
        rc = sluice_usage(&ctx, "--timeout wants milliseconds (a positive number), not '%s'", t);
        goto out;
    }
    if (t)
        ctx.timeout_ms = (int)tmo;
    rc = sluice_conf(&ctx);
    if (rc == SLUICE_OK)
        rc = cmd->run(&ctx);
out:
    sluice_ctx_fini(&ctx);
    free(av);
    fflush(stdout);
    return rc;
}
