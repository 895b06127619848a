/*
 * args.c - the command line of `sluice`: options in the GNU style (--name
 * value, --name=value, -c value) matched against a command's table, values
 * of numbers, key=value pairs and date-times. Pure: no I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice.h"

const sluice_opt_t sluice_common_opts[] = {
    {"bootstrap", 'b', true, "HOST:PORT[,...]: brokers to start from (else $SLUICE_BOOTSTRAP, else localhost:9092)"},
    {"json", 0, false, "print machine-readable JSON instead of a table"},
    {"timeout", 0, true, "MS: how long to wait for the cluster (default 10000)"},
    {"property", 'X', true, "KEY=VALUE: a client setting (client.h's keys), repeatable"},
    {"help", 'h', false, "show this help"},
};
const size_t sluice_common_nopts = sizeof sluice_common_opts / sizeof sluice_common_opts[0];

static const sluice_opt_t *find_long(const sluice_opt_t *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static const sluice_opt_t *find_short(const sluice_opt_t *opts, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (opts[i].short_name == c)
            return &opts[i];
    return NULL;
}

static const sluice_opt_t *lookup(const sluice_opt_t *opts, size_t nopts, const char *name, size_t len, char c)
{
    const sluice_opt_t *o = c ? find_short(opts, nopts, c) : find_long(opts, nopts, name, len);
    if (!o)
        o = c ? find_short(sluice_common_opts, sluice_common_nopts, c)
              : find_long(sluice_common_opts, sluice_common_nopts, name, len);
    return o;
}

bool sluice_args_parse(sluice_args_t *args, const sluice_opt_t *opts, size_t nopts, int argc, char **argv)
{
    memset(args, 0, sizeof *args);
    args->opts = opts;
    args->nopts = nopts;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0' || (a[1] != '-' && isdigit((unsigned char)a[1]))) {
            /* "-" and negative numbers ("--shift-by -5" is a value, a lone
             * "-5" a positional) are arguments. */
            if (args->npos == SLUICE_MAX_POS) {
                snprintf(args->error, sizeof args->error, "too many arguments (at most %d)", SLUICE_MAX_POS);
                return false;
            }
            args->pos[args->npos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        const sluice_opt_t *o;
        const char *value = NULL;
        bool inline_value = false;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = lookup(opts, nopts, name, len, 0);
            if (!o) {
                snprintf(args->error, sizeof args->error, "unknown option --%.*s", (int)len, name);
                return false;
            }
            if (eq) {
                value = eq + 1;
                inline_value = true;
            }
        } else {
            o = lookup(opts, nopts, NULL, 0, a[1]);
            if (!o) {
                snprintf(args->error, sizeof args->error, "unknown option -%c", a[1]);
                return false;
            }
            if (a[2]) {
                value = a + 2;   /* -bhost:9092, -Xkey=value */
                inline_value = true;
            }
        }
        if (o->has_arg && !inline_value) {
            if (i + 1 >= argc) {
                snprintf(args->error, sizeof args->error, "option --%s needs a value", o->name);
                return false;
            }
            value = argv[++i];
        } else if (!o->has_arg && inline_value) {
            snprintf(args->error, sizeof args->error, "option --%s takes no value", o->name);
            return false;
        }
        if (args->nvals == SLUICE_MAX_VALUES) {
            snprintf(args->error, sizeof args->error, "too many options (at most %d)", SLUICE_MAX_VALUES);
            return false;
        }
        args->vals[args->nvals].opt = o;
        args->vals[args->nvals].value = value;
        args->nvals++;
    }
    return true;
}

const char *sluice_arg_next(const sluice_args_t *args, const char *name, size_t *it)
{
    for (; *it < args->nvals; (*it)++)
        if (strcmp(args->vals[*it].opt->name, name) == 0 && args->vals[*it].value)
            return args->vals[(*it)++].value;
    return NULL;
}

const char *sluice_arg(const sluice_args_t *args, const char *name)
{
    const char *last = NULL, *v;
    size_t it = 0;
    while ((v = sluice_arg_next(args, name, &it)))
        last = v;
    return last;
}

bool sluice_flag(const sluice_args_t *args, const char *name)
{
    for (size_t i = 0; i < args->nvals; i++)
        if (strcmp(args->vals[i].opt->name, name) == 0)
            return true;
    return false;
}

bool sluice_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool sluice_parse_kv(const char *s, char **key, const char **value)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s)
        return false;
    char *k = strdup(s);
    if (!k)
        return false;
    k[eq - s] = '\0';
    *key = k;
    *value = k + (eq - s) + 1;
    return true;
}

/* Reads exactly n digits at *p into *v. */
static bool digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool sluice_parse_datetime(const char *s, int64_t *ms)
{
    if (!s || !*s)
        return false;
    if (sluice_parse_i64(s, 0, INT64_MAX, ms))
        return true;
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
        return false;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return false;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec))
                return false;
            if (*p == '.') {
                p++;
                if (!digits(&p, 3, &frac))
                    return false;
            }
        }
    }
    int64_t offset_min = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
        offset_min = sign * (oh * 60 + om);
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    *ms = secs * 1000 + frac;
    return true;
}
