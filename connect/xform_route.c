/*
 * xform_route.c - the transforms that change a record's topic, as Kafka's
 * RegexRouter (regex, replacement: a topic matching the whole regex
 * becomes the replacement, $n naming the regex's groups) and
 * TimestampRouter (topic.format with ${topic} and ${timestamp},
 * timestamp.format in java.text.SimpleDateFormat's letters, UTC), and the
 * regular expressions they and TopicNameMatches share.
 *
 * Regular expressions are POSIX extended ones (regcomp) where Kafka has
 * Java's: \d and \D are accepted outside brackets, but lazy quantifiers,
 * lookaround, named groups and Java's other escapes are not, and groups
 * capture by POSIX's leftmost-longest rule. A replacement is checked when
 * configured (Kafka finds a bad group reference only at the first record).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xform_int.h"

#define MAX_GROUPS 32

/* ---- regular expressions ---------------------------------------------------- */

sl_err_t sl_xform_regex_compile(sl_xform_regex_t *r, const char *pattern, char *errbuf,
                                size_t errlen)
{
    r->compiled = false;
    size_t len = strlen(pattern);
    /* \d becomes [0-9] (7 bytes for 2): room for the worst case. */
    char *ere = malloc(len * 4 + 1), *o = ere;
    if (!ere)
        return SL_ERR_NOMEM;
    bool bracket = false;
    for (size_t i = 0; i < len; i++) {
        char c = pattern[i];
        if (!bracket && c == '\\' && i + 1 < len && (pattern[i + 1] == 'd' || pattern[i + 1] == 'D')) {
            const char *cls = pattern[i + 1] == 'd' ? "[0-9]" : "[^0-9]";
            memcpy(o, cls, strlen(cls));
            o += strlen(cls);
            i++;
            continue;
        }
        if (!bracket && c == '\\' && i + 1 < len) {
            *o++ = c;
            *o++ = pattern[++i];
            continue;
        }
        if (!bracket && c == '[') {
            bracket = true;
            *o++ = c;
            /* A ']' first (or after '^') is a member, not the end. */
            if (i + 1 < len && pattern[i + 1] == '^')
                *o++ = pattern[++i];
            if (i + 1 < len && pattern[i + 1] == ']')
                *o++ = pattern[++i];
            continue;
        }
        if (bracket && c == ']')
            bracket = false;
        *o++ = c;
    }
    *o = '\0';
    int rc = regcomp(&r->re, ere, REG_EXTENDED);
    free(ere);
    if (rc) {
        if (errbuf && errlen)
            regerror(rc, &r->re, errbuf, errlen);
        return rc == REG_ESPACE ? SL_ERR_NOMEM : SL_ERR_CONFIG;
    }
    r->compiled = true;
    return SL_OK;
}

bool sl_xform_regex_matches(const sl_xform_regex_t *r, const char *s, size_t len,
                            regmatch_t *groups, size_t n)
{
    regmatch_t local[1];
    regmatch_t *m = groups && n ? groups : local;
    size_t count = groups && n ? n : 1;
    m[0].rm_so = 0;
    m[0].rm_eo = (regoff_t)len;
    /* POSIX takes the longest match at the leftmost start: the whole text
     * matches exactly when that match spans it. */
    if (regexec(&r->re, s, count, m, REG_STARTEND) != 0)
        return false;
    return m[0].rm_so == 0 && (size_t)m[0].rm_eo == len;
}

void sl_xform_regex_free(sl_xform_regex_t *r)
{
    if (r->compiled)
        regfree(&r->re);
    r->compiled = false;
}

/* ======================================================================
 * RegexRouter
 * ====================================================================== */

/* A replacement: literal text with group references. */
typedef struct repl_part {
    int group;                 /* -1: literal text */
    size_t at, len;            /* the literal in text */
} repl_part_t;

typedef struct regex_router {
    sl_xform_regex_t re;
    char *text;                /* the replacement's literals, unescaped */
    repl_part_t *parts;
    size_t part_count;
} regex_router_t;

static const sl_xform_key_t regex_router_keys[] = {
    {"regex", SL_CFG_STRING, NULL, true, SL_IMPORTANCE_HIGH,
     "Regular expression to use for matching (POSIX extended)."},
    {"replacement", SL_CFG_STRING, NULL, true, SL_IMPORTANCE_HIGH,
     "Replacement string ($n: the regex's group n)."},
};

static void regex_router_free(void *p)
{
    regex_router_t *s = p;
    sl_xform_regex_free(&s->re);
    free(s->text);
    free(s->parts);
    free(s);
}

/* Java's Matcher.appendReplacement grammar: '\' quotes the next char, '$'
 * and digits name a group (as many digits as still name one), ${name} a
 * named group (none here). */
static sl_err_t parse_replacement(regex_router_t *s, const sl_xform_cfg_t *cfg, const char *repl,
                                  char *errbuf, size_t errlen)
{
    size_t len = strlen(repl), groups = s->re.re.re_nsub, lit = 0;
    if (!(s->text = malloc(len + 1)) || !(s->parts = calloc(len + 1, sizeof(*s->parts))))
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < len;) {
        char c = repl[i];
        if (c == '\\') {
            if (i + 1 == len)
                return sl_xform_bad(cfg, "replacement", repl, errbuf, errlen,
                                    "character to be escaped is missing");
            c = repl[i + 1];
            i += 2;
        } else if (c == '$') {
            if (i + 1 == len || repl[i + 1] == '{' || repl[i + 1] < '0' || repl[i + 1] > '9')
                return sl_xform_bad(cfg, "replacement", repl, errbuf, errlen,
                                    repl[i + 1] == '{' ? "named groups are not supported"
                                                       : "Illegal group reference");
            size_t g = (size_t)(repl[i + 1] - '0');
            if (g > groups)
                return sl_xform_bad(cfg, "replacement", repl, errbuf, errlen, "No group %zu", g);
            i += 2;
            while (i < len && repl[i] >= '0' && repl[i] <= '9' &&
                   g * 10 + (size_t)(repl[i] - '0') <= groups)
                g = g * 10 + (size_t)(repl[i++] - '0');
            if (g >= MAX_GROUPS)
                return sl_xform_bad(cfg, "replacement", repl, errbuf, errlen,
                                    "group %zu is beyond the %d supported", g, MAX_GROUPS - 1);
            s->parts[s->part_count++] = (repl_part_t){(int)g, 0, 0};
            continue;
        } else {
            i++;
        }
        /* A literal char: extend the last literal part or start one. */
        repl_part_t *last = s->part_count ? &s->parts[s->part_count - 1] : NULL;
        if (!last || last->group >= 0)
            s->parts[s->part_count++] = (repl_part_t){-1, lit, 0};
        s->text[lit++] = c;
        s->parts[s->part_count - 1].len++;
    }
    return SL_OK;
}

static sl_err_t regex_router_make(const sl_xform_cfg_t *cfg, void **out, char *errbuf,
                                  size_t errlen)
{
    regex_router_t *s = calloc(1, sizeof(*s));
    if (!s)
        return SL_ERR_NOMEM;
    const char *regex = sl_xform_get(cfg, "regex");
    char why[256];
    sl_err_t err = sl_xform_regex_compile(&s->re, regex, why, sizeof(why));
    if (err == SL_ERR_CONFIG)
        err = sl_xform_bad(cfg, "regex", regex, errbuf, errlen, "not a valid regular "
                           "expression: %s", why);
    if (!err)
        err = parse_replacement(s, cfg, sl_xform_get(cfg, "replacement"), errbuf, errlen);
    if (err) {
        regex_router_free(s);
        return err;
    }
    *out = s;
    return SL_OK;
}

static sl_err_t regex_router_apply(void *p, sl_connect_record_t *rec, bool sink,
                                   sl_connect_mem_t *mem, bool *drop, char *reason, size_t rlen)
{
    (void)sink;
    (void)drop;
    (void)reason;
    (void)rlen;
    const regex_router_t *s = p;
    regmatch_t g[MAX_GROUPS];
    const char *topic = rec->topic ? rec->topic : "";
    if (!sl_xform_regex_matches(&s->re, topic, strlen(topic), g, MAX_GROUPS))
        return SL_OK;
    size_t total = 0;
    for (size_t i = 0; i < s->part_count; i++) {
        const repl_part_t *pt = &s->parts[i];
        total += pt->group < 0 ? pt->len
                 : g[pt->group].rm_so < 0 ? 0 : (size_t)(g[pt->group].rm_eo - g[pt->group].rm_so);
    }
    char *out = sl_arena_alloc(&mem->arena, total + 1), *o = out;
    if (!out)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < s->part_count; i++) {
        const repl_part_t *pt = &s->parts[i];
        if (pt->group < 0) {
            memcpy(o, s->text + pt->at, pt->len);
            o += pt->len;
        } else if (g[pt->group].rm_so >= 0) {
            size_t n = (size_t)(g[pt->group].rm_eo - g[pt->group].rm_so);
            memcpy(o, topic + g[pt->group].rm_so, n);
            o += n;
        }
    }
    *o = '\0';
    rec->topic = out;
    return SL_OK;
}

const sl_xform_def_t sl_xform_regex_router = {
    .name = "RegexRouter",
    .kafka_class = SL_XFORM_PKG "RegexRouter",
    .keys = regex_router_keys,
    .key_count = sizeof(regex_router_keys) / sizeof(regex_router_keys[0]),
    .make = regex_router_make,
    .free = regex_router_free,
    .apply = regex_router_apply,
};

/* ======================================================================
 * TimestampRouter
 * ====================================================================== */

/* One piece of a SimpleDateFormat pattern: a letter repeated count times,
 * or literal text. */
typedef struct date_part {
    char letter;               /* 0: literal */
    int count;
    size_t at, len;            /* literal in text */
} date_part_t;

typedef struct ts_router {
    char *topic_format;
    char *text;                /* literals of the timestamp pattern */
    date_part_t *parts;
    size_t part_count;
    sl_buf_t ts, t1, t2;       /* scratch, reused record after record */
} ts_router_t;

static const sl_xform_key_t ts_router_keys[] = {
    {"topic.format", SL_CFG_STRING, "${topic}-${timestamp}", false, SL_IMPORTANCE_HIGH,
     "Format string which can contain ${topic} and ${timestamp} as placeholders for the topic "
     "and timestamp, respectively."},
    {"timestamp.format", SL_CFG_STRING, "yyyyMMdd", false, SL_IMPORTANCE_HIGH,
     "Format string for the timestamp that is compatible with java.text.SimpleDateFormat "
     "(UTC)."},
};

static void ts_router_free(void *p)
{
    ts_router_t *s = p;
    free(s->topic_format);
    free(s->text);
    free(s->parts);
    sl_buf_free(&s->ts);
    sl_buf_free(&s->t1);
    sl_buf_free(&s->t2);
    free(s);
}

/* SimpleDateFormat's letters this formats; Java's other letters (w W F)
 * depend on a locale's week rules and are refused. */
static const char date_letters[] = "GyYMLdDEuaHkKhmsSzZX";

static sl_err_t parse_date_format(ts_router_t *s, const sl_xform_cfg_t *cfg, const char *fmt,
                                  char *errbuf, size_t errlen)
{
    size_t len = strlen(fmt), lit = 0;
    if (!(s->text = malloc(len + 1)) || !(s->parts = calloc(len + 1, sizeof(*s->parts))))
        return SL_ERR_NOMEM;
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        char c = fmt[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (c == '\'') {
            if (i + 1 < len && fmt[i + 1] == '\'') {
                i++;              /* '' is a quote, in or out of quotes */
            } else {
                quoted = !quoted;
                continue;
            }
        } else if (letter && !quoted) {
            if (!strchr(date_letters, c))
                return sl_xform_bad(cfg, "timestamp.format", fmt, errbuf, errlen,
                                    strchr("wWF", c) ? "pattern letter '%c' is not supported"
                                                     : "Illegal pattern character '%c'", c);
            date_part_t *last = s->part_count ? &s->parts[s->part_count - 1] : NULL;
            if (last && last->letter == c)
                last->count++;
            else
                s->parts[s->part_count++] = (date_part_t){c, 1, 0, 0};
            continue;
        }
        date_part_t *last = s->part_count ? &s->parts[s->part_count - 1] : NULL;
        if (!last || last->letter)
            s->parts[s->part_count++] = (date_part_t){0, 0, lit, 0};
        s->text[lit++] = c;
        s->parts[s->part_count - 1].len++;
    }
    if (quoted)
        return sl_xform_bad(cfg, "timestamp.format", fmt, errbuf, errlen, "Unterminated quote");
    return SL_OK;
}

static sl_err_t ts_router_make(const sl_xform_cfg_t *cfg, void **out, char *errbuf, size_t errlen)
{
    ts_router_t *s = calloc(1, sizeof(*s));
    if (!s)
        return SL_ERR_NOMEM;
    sl_buf_init(&s->ts);
    sl_buf_init(&s->t1);
    sl_buf_init(&s->t2);
    sl_err_t err = (s->topic_format = strdup(sl_xform_get(cfg, "topic.format"))) ? SL_OK
                                                                                  : SL_ERR_NOMEM;
    if (!err)
        err = parse_date_format(s, cfg, sl_xform_get(cfg, "timestamp.format"), errbuf, errlen);
    if (err) {
        ts_router_free(s);
        return err;
    }
    *out = s;
    return SL_OK;
}

static const char *const month_names[12] = {"January", "February", "March", "April", "May",
                                            "June", "July", "August", "September", "October",
                                            "November", "December"};
static const char *const day_names[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
                                         "Friday", "Saturday"};

/* Appends one part's text for tm (ms: the milliseconds) to b. */
static void date_part_put(const ts_router_t *s, const date_part_t *p, const struct tm *tm, int ms,
                          sl_buf_t *b)
{
    char tmp[64];
    const char *word = NULL;
    long num = 0;
    int width = p->count;
    switch (p->letter) {
    case 0: sl_buf_put(b, s->text + p->at, p->len); return;
    case 'G': word = "AD"; break;
    case 'y': case 'Y':
        num = tm->tm_year + 1900L;
        if (p->count == 2)
            num %= 100;
        break;
    case 'M': case 'L':
        if (p->count >= 3) {
            word = month_names[tm->tm_mon];
            if (p->count == 3) {
                snprintf(tmp, sizeof(tmp), "%.3s", word);
                word = tmp;
            }
        }
        num = tm->tm_mon + 1;
        break;
    case 'd': num = tm->tm_mday; break;
    case 'D': num = tm->tm_yday + 1; break;
    case 'E':
        word = day_names[tm->tm_wday];
        if (p->count < 4) {
            snprintf(tmp, sizeof(tmp), "%.3s", word);
            word = tmp;
        }
        break;
    case 'u': num = tm->tm_wday ? tm->tm_wday : 7; break;
    case 'a': word = tm->tm_hour < 12 ? "AM" : "PM"; break;
    case 'H': num = tm->tm_hour; break;
    case 'k': num = tm->tm_hour ? tm->tm_hour : 24; break;
    case 'K': num = tm->tm_hour % 12; break;
    case 'h': num = tm->tm_hour % 12 ? tm->tm_hour % 12 : 12; break;
    case 'm': num = tm->tm_min; break;
    case 's': num = tm->tm_sec; break;
    case 'S': num = ms; break;
    case 'z': word = p->count >= 4 ? "Coordinated Universal Time" : "UTC"; break;
    case 'Z': word = "+0000"; break;
    default: word = "Z"; break;       /* X */
    }
    if (word) {
        sl_buf_put(b, word, strlen(word));
        return;
    }
    int n = snprintf(tmp, sizeof(tmp), "%0*ld", width > 20 ? 20 : width, num);
    sl_buf_put(b, tmp, (size_t)n);
}

/* Appends text[0..len) to b with every needle replaced by with. */
static void replace_all(sl_buf_t *b, const char *text, size_t len, const char *needle,
                        const char *with, size_t wlen)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i < len;) {
        if (len - i >= nl && memcmp(text + i, needle, nl) == 0) {
            sl_buf_put(b, with, wlen);
            i += nl;
        } else {
            sl_buf_put(b, text + i, 1);
            i++;
        }
    }
}

static sl_err_t ts_router_apply(void *p, sl_connect_record_t *rec, bool sink,
                                sl_connect_mem_t *mem, bool *drop, char *reason, size_t rlen)
{
    (void)drop;
    ts_router_t *s = p;
    bool has = sink ? rec->timestamp >= 0 : rec->timestamp != 0;
    if (!has) {
        snprintf(reason, rlen, "Timestamp missing on record: topic=%s, partition=%d",
                 rec->topic ? rec->topic : "null", (int)rec->partition);
        return SL_ERR_INVAL;
    }
    time_t secs = (time_t)(rec->timestamp / 1000);
    int ms = (int)(rec->timestamp % 1000);
    if (ms < 0) {
        ms += 1000;
        secs--;
    }
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(reason, rlen, "timestamp %lld is out of range", (long long)rec->timestamp);
        return SL_ERR_INVAL;
    }
    sl_buf_t *ts = &s->ts, *t1 = &s->t1, *t2 = &s->t2;
    sl_buf_reset(ts);
    sl_buf_reset(t1);
    sl_buf_reset(t2);
    for (size_t i = 0; i < s->part_count; i++)
        date_part_put(s, &s->parts[i], &tm, ms, ts);
    const char *topic = rec->topic ? rec->topic : "null";
    /* Kafka replaces ${topic} first, then ${timestamp} in the result. */
    replace_all(t1, s->topic_format, strlen(s->topic_format), "${topic}", topic, strlen(topic));
    replace_all(t2, t1->data ? (const char *)t1->data : "", t1->len, "${timestamp}",
                ts->data ? (const char *)ts->data : "", ts->len);
    if (sl_buf_err(ts) || sl_buf_err(t1) || sl_buf_err(t2))
        return SL_ERR_NOMEM;
    char *out = sl_arena_strndup(&mem->arena, t2->data ? (const char *)t2->data : "", t2->len);
    if (!out)
        return SL_ERR_NOMEM;
    rec->topic = out;
    return SL_OK;
}

const sl_xform_def_t sl_xform_timestamp_router = {
    .name = "TimestampRouter",
    .kafka_class = SL_XFORM_PKG "TimestampRouter",
    .keys = ts_router_keys,
    .key_count = sizeof(ts_router_keys) / sizeof(ts_router_keys[0]),
    .make = ts_router_make,
    .free = ts_router_free,
    .apply = ts_router_apply,
};
