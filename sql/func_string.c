/*
 * func_string.c - the string functions: CONCAT, CONCAT_WS, LCASE, UCASE,
 * INITCAP, TRIM, LEN, SUBSTRING, REPLACE, SPLIT, SPLIT_TO_MAP, INSTR, LPAD,
 * RPAD, MASK and its LEFT/RIGHT forms, CHR, ELT, FIELD, TO_BYTES, FROM_BYTES,
 * ENCODE, REGEXP_EXTRACT(_ALL), REGEXP_REPLACE, REGEXP_SPLIT_TO_ARRAY; and the translation of Java regular
 * expressions to POSIX ones (func_int.h says which subset).
 *
 * Positions and lengths count characters (UTF-8 code points), as ksqlDB
 * counts Java chars; the BYTES forms count bytes. Case mapping covers
 * ASCII, Latin-1, Greek and Cyrillic. A constant pattern is compiled once at bind time and kept in a
 * process-wide table (a pattern is compiled once however many queries use
 * it; an invalid one refuses the call); a pattern read from the data is
 * compiled per call and freed. POSIX matching is leftmost-longest where
 * Java's is leftmost-first: alternatives like (a|ab) may pick the longer
 * branch.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format_int.h"
#include "func_int.h"

/* --- Java regex -> POSIX ERE ---------------------------------------------- */

typedef struct rx_out {
    char *p;
    size_t len, cap;
    bool oom;
} rx_out_t;

static void rx_put(rx_out_t *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *np = realloc(o->p, cap);
        if (!np) {
            o->oom = true;
            return;
        }
        o->p = np;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void rx_putc(rx_out_t *o, char c)
{
    rx_put(o, &c, 1);
}

/* The escape \c inside a bracket expression: appends its members to o
 * (special members to the flags, placed by the caller). */
static bool rx_class_escape(char c, rx_out_t *o, bool *rbracket, bool *dash, bool *caret)
{
    switch (c) {
    case 'd':
        rx_put(o, "0-9", 3);
        return true;
    case 'w':
        rx_put(o, "[:alnum:]_", 10);
        return true;
    case 's':
        rx_put(o, "[:space:]", 9);
        return true;
    case 't':
        rx_putc(o, '\t');
        return true;
    case 'n':
        rx_putc(o, '\n');
        return true;
    case 'r':
        rx_putc(o, '\r');
        return true;
    case 'f':
        rx_putc(o, '\f');
        return true;
    case ']':
        *rbracket = true;
        return true;
    case '-':
        *dash = true;
        return true;
    case '^':
        *caret = true;
        return true;
    default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return false;
        rx_putc(o, c);
        return true;
    }
}

/* Translates the bracket expression at p[*i] ('[') into o. */
static bool rx_class(const char *p, uint32_t n, uint32_t *i, rx_out_t *o, char *err, size_t errlen)
{
    uint32_t k = *i + 1;
    bool negate = false, rbracket = false, dash = false, caret = false;
    if (k < n && p[k] == '^') {
        negate = true;
        k++;
    }
    rx_out_t body = {0};
    bool first = true;
    for (; k < n; k++) {
        char c = p[k];
        if (c == ']' && !first)
            break;
        first = false;
        if (c == '[' || (c == '&' && k + 1 < n && p[k + 1] == '&')) {
            snprintf(err, errlen, "nested character classes are not supported");
            free(body.p);
            return false;
        }
        if (c == '\\' && k + 1 < n) {
            k++;
            if (!rx_class_escape(p[k], &body, &rbracket, &dash, &caret)) {
                snprintf(err, errlen, "the escape \\%c is not supported in a character class", p[k]);
                free(body.p);
                return false;
            }
            continue;
        }
        if (c == ']') {
            rbracket = true;
            continue;
        }
        if (c == '^' && body.len == 0) {
            caret = true;
            continue;
        }
        rx_putc(&body, c);
    }
    if (k >= n) {
        snprintf(err, errlen, "unclosed character class");
        free(body.p);
        return false;
    }
    rx_put(o, negate ? "[^" : "[", negate ? 2 : 1);
    if (rbracket)
        rx_putc(o, ']');
    if (body.p)
        rx_put(o, body.p, body.len);
    if (caret)
        rx_putc(o, '^');
    if (dash)
        rx_putc(o, '-');
    if (!rbracket && !body.len && !caret && !dash) {
        snprintf(err, errlen, "empty character class");
        free(body.p);
        return false;
    }
    rx_putc(o, ']');
    free(body.p);
    *i = k;
    return true;
}

static bool is_meta(char c)
{
    return strchr(".[]{}()\\*+?^$|", c) != NULL;
}

sl_err_t sl_sql_regex_compile(const char *p, uint32_t n, sl_sql_regex_t *re, char *err, size_t errlen)
{
    memset(re, 0, sizeof *re);
    rx_out_t o = {0};
    int cflags = REG_EXTENDED;
    uint32_t posix_groups = 0;
    uint32_t i = 0;
    if (n >= 4 && memcmp(p, "(?i)", 4) == 0) {
        cflags |= REG_ICASE;
        i = 4;
    }
    rx_put(&o, "", 0);
    for (; i < n; i++) {
        char c = p[i];
        if (c == '\\') {
            if (i + 1 >= n) {
                snprintf(err, errlen, "the pattern ends with a lone backslash");
                goto fail;
            }
            char e = p[++i];
            switch (e) {
            case 'd':
                rx_put(&o, "[0-9]", 5);
                break;
            case 'D':
                rx_put(&o, "[^0-9]", 6);
                break;
            case 'w':
            case 'W':
            case 's':
            case 'S':
            case 'b':
            case 'B':
                rx_putc(&o, '\\');
                rx_putc(&o, e);
                break;
            case 't':
                rx_putc(&o, '\t');
                break;
            case 'n':
                rx_putc(&o, '\n');
                break;
            case 'r':
                rx_putc(&o, '\r');
                break;
            case 'f':
                rx_putc(&o, '\f');
                break;
            case 'Q': {
                uint32_t j = i + 1;
                for (; j < n && !(p[j] == '\\' && j + 1 < n && p[j + 1] == 'E'); j++) {
                    if (is_meta(p[j]))
                        rx_putc(&o, '\\');
                    rx_putc(&o, p[j]);
                }
                i = j < n ? j + 1 : n;
                break;
            }
            default:
                if (e >= '1' && e <= '9') {
                    uint32_t g = (uint32_t)(e - '0');
                    if (g > re->n_groups) {
                        snprintf(err, errlen, "back reference \\%c to a group not yet defined", e);
                        goto fail;
                    }
                    char b[8];
                    int w = snprintf(b, sizeof b, "\\%u", (unsigned)re->group_map[g]);
                    if (re->group_map[g] > 9) {
                        snprintf(err, errlen, "back reference \\%c is too far", e);
                        goto fail;
                    }
                    rx_put(&o, b, (size_t)w);
                } else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || e == '0') {
                    snprintf(err, errlen, "the escape \\%c is not supported", e);
                    goto fail;
                } else {
                    rx_putc(&o, '\\');
                    rx_putc(&o, e);
                }
            }
            continue;
        }
        if (c == '[') {
            if (!rx_class(p, n, &i, &o, err, errlen))
                goto fail;
            continue;
        }
        if (c == '(') {
            if (i + 1 < n && p[i + 1] == '?') {
                if (i + 2 < n && p[i + 2] == ':') {
                    i += 2;
                } else {
                    snprintf(err, errlen, "the group construct (?%c is not supported", i + 2 < n ? p[i + 2] : ' ');
                    goto fail;
                }
            } else {
                if (re->n_groups + 1 >= SL_ARRAY_LEN(re->group_map)) {
                    snprintf(err, errlen, "too many groups");
                    goto fail;
                }
                re->group_map[++re->n_groups] = (uint16_t)(posix_groups + 1);
            }
            posix_groups++;
            rx_putc(&o, '(');
            continue;
        }
        if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && (p[i + 1] == '?' || p[i + 1] == '+')) {
            snprintf(err, errlen, "lazy and possessive quantifiers are not supported");
            goto fail;
        }
        if (c == '.') { /* Java's '.' stops at line ends */
            rx_put(&o, "[^\n\r]", 5);
            continue;
        }
        rx_putc(&o, c);
    }
    if (o.oom) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    int rc = regcomp(&re->re, o.p, cflags);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &re->re, msg, sizeof msg);
        snprintf(err, errlen, "%s", msg);
        goto fail;
    }
    free(o.p);
    if (re->re.re_nsub + 1 > 64) {
        regfree(&re->re);
        snprintf(err, errlen, "too many groups");
        return SL_ERR_INVAL;
    }
    return SL_OK;
fail:
    free(o.p);
    return SL_ERR_INVAL;
}

/* Bind-time patterns, compiled once per process and never freed (queries
 * come and go, the set of distinct literal patterns stays small). */
typedef struct rx_cached {
    char *pattern;
    uint32_t len;
    sl_sql_regex_t re;
} rx_cached_t;

#define RX_CACHE_MAX 512
static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static rx_cached_t *rx_cache[RX_CACHE_MAX];
static uint32_t rx_cached_n;

/* A compiled pattern from the process table (compiled and added when
 * new). NULL and err when the pattern is invalid or the table is full. */
static const sl_sql_regex_t *rx_intern(const char *p, uint32_t n, char *err, size_t errlen)
{
    const sl_sql_regex_t *found = NULL;
    pthread_mutex_lock(&rx_lock);
    for (uint32_t i = 0; i < rx_cached_n && !found; i++) {
        if (rx_cache[i]->len == n && memcmp(rx_cache[i]->pattern, p, n) == 0)
            found = &rx_cache[i]->re;
    }
    if (!found && rx_cached_n == RX_CACHE_MAX)
        snprintf(err, errlen, "too many distinct regular expressions in this process");
    if (!found && rx_cached_n < RX_CACHE_MAX) {
        rx_cached_t *c = calloc(1, sizeof *c);
        char *copy = malloc(n + 1u);
        if (!c || !copy) {
            snprintf(err, errlen, "out of memory");
            free(c);
            free(copy);
        } else if (sl_sql_regex_compile(p, n, &c->re, err, errlen) != SL_OK) {
            free(c);
            free(copy);
        } else {
            memcpy(copy, p, n);
            copy[n] = '\0';
            c->pattern = copy;
            c->len = n;
            rx_cache[rx_cached_n++] = c;
            found = &c->re;
        }
    }
    pthread_mutex_unlock(&rx_lock);
    return found;
}

/* prepare for a function whose pattern is argument index pat. */
static sl_err_t prepare_pattern(sl_sql_expr_t *const *args, uint32_t n, uint32_t pat, void **state, char *err,
                                size_t errlen)
{
    const sl_sql_datum_t *d = sl_sql_fn_const_arg(args, n, pat);
    if (!d || sl_sql_datum_is_null(d))
        return SL_OK;
    char why[160];
    const sl_sql_regex_t *re = rx_intern(d->u.s.ptr, d->u.s.len, why, sizeof why);
    if (!re) {
        snprintf(err, errlen, "Invalid regular expression pattern '%.*s': %s", (int)SL_MIN(d->u.s.len, 100u),
                 d->u.s.ptr, why);
        return SL_ERR_INVAL;
    }
    *state = (void *)re;
    return SL_OK;
}

static sl_err_t prepare_pattern_arg0(sl_arena_t *arena, sl_sql_expr_t *const *args, uint32_t n, void **state,
                                       char *err, size_t errlen)
{
    SL_UNUSED(arena);
    return prepare_pattern(args, n, 0, state, err, errlen);
}

static sl_err_t prepare_pattern_arg1(sl_arena_t *arena, sl_sql_expr_t *const *args, uint32_t n, void **state,
                                       char *err, size_t errlen)
{
    SL_UNUSED(arena);
    return prepare_pattern(args, n, 1, state, err, errlen);
}

/* The call's compiled pattern: the prepared one, or *scratch compiled now
 * (then *owned is set and the caller regfree()s it). */
static const sl_sql_regex_t *call_pattern(const sl_sql_expr_t *call, const sl_sql_datum_t *pat, sl_sql_eval_t *cx,
                                          sl_sql_regex_t *scratch, bool *owned, sl_sql_datum_t *out)
{
    *owned = false;
    if (call->state)
        return call->state;
    char why[160];
    if (sl_sql_regex_compile(pat->u.s.ptr, pat->u.s.len, scratch, why, sizeof why) != SL_OK) {
        sl_sql_fn_fail(cx, out, "Invalid regular expression pattern '%.*s': %s", (int)SL_MIN(pat->u.s.len, 100u),
                       pat->u.s.ptr, why);
        return NULL;
    }
    *owned = true;
    return scratch;
}

/* Finds the first match in s[from..len); m[0..64) filled. s must be
 * NUL-terminated at len: REG_STARTEND makes glibc stop at len, but
 * sanitizers' regexec wrappers read up to the NUL. */
static bool rx_find(const sl_sql_regex_t *re, const char *s, uint32_t from, uint32_t len, regmatch_t *m)
{
    m[0].rm_so = (regoff_t)from;
    m[0].rm_eo = (regoff_t)len;
    return regexec(&re->re, s ? s : "", 64, m, REG_STARTEND) == 0;
}

/* What a REGEXP_ function does with its compiled pattern and its subject
 * s[0..len) (NUL-terminated; the other arguments not NULL). */
typedef void rx_body_fn(const sl_sql_regex_t *re, const char *s, uint32_t len, const sl_sql_datum_t *args,
                        uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out);

/* A REGEXP_ call whose pattern is args[pat] and subject args[1 - pat]:
 * NULL for a NULL argument, the pattern compiled (or the prepared one),
 * the subject made a C string, body run, the pattern freed. */
static void rx_call(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                    sl_sql_datum_t *out, uint32_t pat, rx_body_fn *body)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    sl_sql_regex_t scratch;
    bool owned;
    const sl_sql_regex_t *re = call_pattern(call, &args[pat], cx, &scratch, &owned, out);
    if (!re)
        return;
    const sl_sql_datum_t *subject = &args[1 - pat];
    const char *s = sl_sql_fn_cstr(cx->arena, subject);
    if (!s)
        sl_sql_fn_fail(cx, out, "out of memory");
    else
        body(re, s, subject->u.s.len, args, n, cx, out);
    if (owned)
        regfree(&scratch.re);
}

static void rx_extract(const sl_sql_regex_t *re, const char *s, uint32_t len, const sl_sql_datum_t *args,
                       uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(cx);
    int32_t group = n > 2 ? args[2].u.i32 : 0;
    regmatch_t m[64];
    *out = sl_sql_null();
    if (group >= 0 && (uint32_t)group <= re->n_groups && rx_find(re, s, 0, len, m)) {
        regmatch_t g = m[group ? re->group_map[group] : 0];
        if (g.rm_so >= 0)
            *out = sl_sql_string(s + g.rm_so, (uint32_t)(g.rm_eo - g.rm_so));
    }
}

static void eval_regexp_extract(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    rx_call(call, args, n, cx, out, 0, rx_extract);
}

/* Appends Java's replacement text rep for match m of s: $n is group n, \x
 * is x. false (error noted) on a malformed replacement. */
static bool rx_replacement(const sl_sql_regex_t *re, const char *s, const regmatch_t *m, const sl_sql_datum_t *rep,
                           sl_sql_sb_t *sb, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    const char *r = rep->u.s.ptr;
    uint32_t rn = rep->u.s.len;
    for (uint32_t i = 0; i < rn; i++) {
        if (r[i] == '\\' && i + 1 < rn) {
            sl_sql_sb_put(sb, &r[++i], 1);
        } else if (r[i] == '$') {
            if (i + 1 >= rn || r[i + 1] < '0' || r[i + 1] > '9') {
                sl_sql_fn_fail(cx, out, "Illegal group reference in replacement '%.*s'", (int)SL_MIN(rn, 100u), r);
                return false;
            }
            uint32_t g = (uint32_t)(r[++i] - '0');
            if (g > re->n_groups) {
                sl_sql_fn_fail(cx, out, "No group %u in the pattern", (unsigned)g);
                return false;
            }
            /* Java reads more digits while the group number stays valid. */
            while (i + 1 < rn && r[i + 1] >= '0' && r[i + 1] <= '9' &&
                   g * 10 + (uint32_t)(r[i + 1] - '0') <= re->n_groups)
                g = g * 10 + (uint32_t)(r[++i] - '0');
            regmatch_t gm = m[g ? re->group_map[g] : 0];
            if (gm.rm_so >= 0)
                sl_sql_sb_put(sb, s + gm.rm_so, (size_t)(gm.rm_eo - gm.rm_so));
        } else {
            sl_sql_sb_put(sb, &r[i], 1);
        }
    }
    return true;
}

static void rx_replace(const sl_sql_regex_t *re, const char *s, uint32_t len, const sl_sql_datum_t *args,
                       uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(n);
    uint32_t pos = 0, last = 0;
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, len + 16);
    regmatch_t m[64];
    bool ok = true;
    while (pos <= len && rx_find(re, s, pos, len, m)) {
        uint32_t so = (uint32_t)m[0].rm_so, eo = (uint32_t)m[0].rm_eo;
        sl_sql_sb_put(&sb, s + last, so - last);
        if (!(ok = rx_replacement(re, s, m, &args[2], &sb, cx, out)))
            break;
        last = eo;
        if (eo == so) { /* an empty match: copy one character and go on */
            if (eo >= len)
                break;
            uint32_t step = sl_sql_utf8_step(s + eo, len - eo);
            sl_sql_sb_put(&sb, s + eo, step);
            last = eo + step;
        }
        pos = last;
    }
    if (ok) {
        sl_sql_sb_put(&sb, s + last, len - last);
        sl_sql_sb_done(&sb, cx, out);
    }
}

static void eval_regexp_replace(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    rx_call(call, args, n, cx, out, 1, rx_replace);
}

/* The first occurrence of nd[0..nn) in h[0..hn) (h itself for an empty nd). */
static const char *find_bytes(const char *h, uint32_t hn, const char *nd, uint32_t nn)
{
    if (nn == 0)
        return h;
    if (nn > hn)
        return NULL;
    return memmem(h, hn, nd, nn);
}

/* An array of strings growing in the arena. */
typedef struct str_list {
    sl_sql_datum_t *items;
    uint32_t n, cap;
    bool oom;
} str_list_t;

static void list_push(sl_arena_t *arena, str_list_t *l, sl_sql_datum_t v)
{
    if (l->oom)
        return;
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        sl_sql_datum_t *items = sl_arena_calloc(arena, cap, sizeof *items);
        if (!items || cap > SL_SQL_SB_MAX) {
            l->oom = true;
            return;
        }
        if (l->n)
            memcpy(items, l->items, l->n * sizeof *items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = v;
}

static void list_done(str_list_t *l, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    if (l->oom) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return;
    }
    *out = sl_sql_null();
    out->kind = SL_SQL_T_ARRAY;
    out->u.a.items = l->items;
    out->u.a.n = l->n;
}

/* REGEXP_EXTRACT_ALL(pattern, input[, group]): every match (or its group;
 * NULL where the group took no part), as Java's find loop. */
static void rx_extract_all(const sl_sql_regex_t *re, const char *s, uint32_t len, const sl_sql_datum_t *args,
                           uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    int32_t group = n > 2 ? args[2].u.i32 : 0;
    uint32_t pos = 0;
    *out = sl_sql_null();
    if (group >= 0 && (uint32_t)group <= re->n_groups) {
        str_list_t l = {0};
        regmatch_t m[64];
        while (pos <= len && rx_find(re, s, pos, len, m)) {
            regmatch_t g = m[group ? re->group_map[group] : 0];
            list_push(cx->arena, &l, g.rm_so >= 0 ? sl_sql_string(s + g.rm_so, (uint32_t)(g.rm_eo - g.rm_so))
                                                  : sl_sql_null());
            uint32_t eo = (uint32_t)m[0].rm_eo;
            pos = eo > (uint32_t)m[0].rm_so ? eo : eo + (eo < len ? sl_sql_utf8_step(s + eo, len - eo) : 1);
        }
        list_done(&l, cx, out);
    }
}

static void eval_regexp_extract_all(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n,
                                    sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    rx_call(call, args, n, cx, out, 0, rx_extract_all);
}

/* REGEXP_SPLIT_TO_ARRAY(string, regexp): the parts between matches, empty
 * ones kept (Guava's splitter); a pattern that matches the empty string
 * splits as Java's String.split: between characters, no empty first part
 * from a match at 0, trailing empty parts dropped. */
static void rx_split(const sl_sql_regex_t *re, const char *s, uint32_t len, const sl_sql_datum_t *args,
                     uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    SL_UNUSED(args);
    SL_UNUSED(n);
    uint32_t pos = 0, last = 0;
    regmatch_t m[64];
    bool java = rx_find(re, "", 0, 0, m); /* the pattern matches "" */
    str_list_t l = {0};
    while (pos <= len && rx_find(re, s, pos, len, m)) {
        uint32_t so = (uint32_t)m[0].rm_so, eo = (uint32_t)m[0].rm_eo;
        if (java && so == eo) {
            if (so >= len)
                break;
            if (so > 0 || last > 0) {
                list_push(cx->arena, &l, sl_sql_string(s + last, so - last));
                last = so;
            }
            pos = so + sl_sql_utf8_step(s + so, len - so);
            continue;
        }
        if (so == eo) { /* cannot happen without java; guards the loop */
            pos = eo + 1;
            continue;
        }
        list_push(cx->arena, &l, sl_sql_string(s + last, so - last));
        last = pos = eo;
    }
    list_push(cx->arena, &l, sl_sql_string(s + last, len - last));
    if (java) {
        while (l.n > 0 && l.items[l.n - 1].u.s.len == 0 && !(l.n == 1 && len == 0))
            l.n--;
    }
    list_done(&l, cx, out);
}

static void eval_regexp_split(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                              sl_sql_datum_t *out)
{
    rx_call(call, args, n, cx, out, 1, rx_split);
}

/* --- CHR, ELT, FIELD, SPLIT_TO_MAP --------------------------------------------- */

static void eval_chr_int(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                         sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    int32_t cp = args[0].u.i32;
    if (cp < 0 || cp > 0x10FFFF) {
        *out = sl_sql_null(); /* not a code point */
        return;
    }
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, 4);
    sl_sql_utf8_put(&sb, (uint32_t)cp);
    sl_sql_sb_done(&sb, cx, out);
}

/* CHR('\u004b'): Java's \uXXXX escapes (surrogate pairs joined); anything
 * else is copied. Not starting with \u or shorter than 6: NULL. */
static void eval_chr_str(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                         sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const char *s = args[0].u.s.ptr;
    uint32_t len = args[0].u.s.len;
    if (len < 6 || s[0] != '\\' || s[1] != 'u') {
        *out = sl_sql_null();
        return;
    }
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, len);
    for (uint32_t i = 0; i < len;) {
        if (s[i] == '\\' && i + 6 <= len && s[i + 1] == 'u') {
            uint32_t cp = 0;
            bool hex = true;
            for (int k = 2; k < 6; k++) {
                int h = sl_hex_value(s[i + k]);
                hex &= h >= 0;
                cp = cp << 4 | (uint32_t)(h < 0 ? 0 : h);
            }
            if (!hex) {
                sl_sql_fn_fail(cx, out, "Unable to parse unicode value: %.*s", (int)SL_MIN(len - i, 6u), s + i);
                return;
            }
            i += 6;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u') {
                uint32_t lo = 0;
                for (int k = 2; k < 6; k++)
                    lo = lo << 4 | (uint32_t)SL_MAX(sl_hex_value(s[i + k]), 0);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            sl_sql_utf8_put(&sb, cp);
        } else {
            sl_sql_sb_put(&sb, s + i, 1);
            i++;
        }
    }
    sl_sql_sb_done(&sb, cx, out);
}

/* ELT(n, str1, str2, ...): the n-th string, NULL when n is out of range. */
static void eval_elt(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                     sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    *out = sl_sql_null();
    if (sl_sql_datum_is_null(&args[0]))
        return;
    int32_t k = args[0].u.i32;
    if (k >= 1 && (uint32_t)k < n)
        *out = args[k];
}

/* FIELD(str, str1, str2, ...): the 1-based position of str among the
 * others, 0 when absent or NULL. */
static void eval_field(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    *out = sl_sql_int(0);
    if (sl_sql_datum_is_null(&args[0]))
        return;
    for (uint32_t i = 1; i < n; i++) {
        if (!sl_sql_datum_is_null(&args[i]) && args[i].u.s.len == args[0].u.s.len &&
            memcmp(args[i].u.s.ptr, args[0].u.s.ptr, args[0].u.s.len) == 0) {
            *out = sl_sql_int((int32_t)i);
            return;
        }
    }
}

/* SPLIT_TO_MAP(input, entryDelimiter, kvDelimiter): entries (empty ones
 * skipped, those without kvDelimiter dropped) as key and value (the text
 * up to a second kvDelimiter); a repeated key keeps its last value. Empty
 * or equal delimiters give NULL. */
static void eval_split_to_map(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                              sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const char *s = args[0].u.s.ptr, *ed = args[1].u.s.ptr, *kd = args[2].u.s.ptr;
    uint32_t len = args[0].u.s.len, en = args[1].u.s.len, kn = args[2].u.s.len;
    if (!en || !kn || (en == kn && memcmp(ed, kd, en) == 0)) {
        *out = sl_sql_null();
        return;
    }
    str_list_t l = {0}; /* key0, value0, key1, value1, ... */
    for (uint32_t i = 0; i <= len;) {
        const char *hit = find_bytes(s + i, len - i, ed, en);
        uint32_t end = hit ? (uint32_t)(hit - s) : len;
        const char *e = s + i;
        uint32_t el = end - i;
        const char *kv = el ? find_bytes(e, el, kd, kn) : NULL;
        if (kv) {
            uint32_t klen = (uint32_t)(kv - e), vs = klen + kn;
            const char *v2 = find_bytes(e + vs, el - vs, kd, kn);
            uint32_t vlen = v2 ? (uint32_t)(v2 - (e + vs)) : el - vs;
            sl_sql_datum_t key = sl_sql_string(e, klen), val = sl_sql_string(e + vs, vlen);
            uint32_t j = 0;
            while (j < l.n && !(l.items[j].u.s.len == klen && memcmp(l.items[j].u.s.ptr, e, klen) == 0))
                j += 2;
            if (j < l.n) {
                l.items[j + 1] = val;
            } else {
                list_push(cx->arena, &l, key);
                list_push(cx->arena, &l, val);
            }
        }
        if (!hit)
            break;
        i = end + en;
    }
    list_done(&l, cx, out);
    if (out->kind == SL_SQL_T_ARRAY) {
        out->kind = SL_SQL_T_MAP;
        out->u.a.n = l.n / 2;
    }
}

/* --- TO_BYTES, FROM_BYTES ---------------------------------------------------------- */

enum { ENC_HEX, ENC_UTF8, ENC_ASCII, ENC_BASE64 };

/* The encoding named by d (case-insensitive), or -1 with the error noted. */
static int encoding_of(const sl_sql_datum_t *d, sl_sql_eval_t *cx, sl_sql_datum_t *out)
{
    static const char *const names[] = {"hex", "utf8", "ascii", "base64"};
    for (int i = 0; i < 4; i++) {
        if (d->u.s.len == strlen(names[i]) && strncasecmp(d->u.s.ptr, names[i], d->u.s.len) == 0)
            return i;
    }
    sl_sql_fn_fail(cx, out, "Unknown encoding type '%.*s'. Supported formats are 'hex', 'utf8', 'ascii', and 'base64'.",
                   (int)SL_MIN(d->u.s.len, 50u), d->u.s.ptr);
    return -1;
}

/* Text s[0..len) in encoding enc as bytes into sb: hex digits (either
 * case), the UTF-8 bytes, ASCII ('?' for other characters) or base64
 * (MIME: other characters skipped). false with *out NULL and the reason
 * noted when the text is not in that encoding. */
static bool text_to_bytes(int enc, const char *s, uint32_t len, sl_sql_sb_t *sb, sl_sql_eval_t *cx,
                          sl_sql_datum_t *out)
{
    if (enc == ENC_HEX) {
        if (len % 2) {
            sl_sql_fn_fail(cx, out, "Invalid input length %u", (unsigned)len);
            return false;
        }
        for (uint32_t i = 0; i < len; i += 2) {
            int hi = sl_hex_value(s[i]), lo = sl_hex_value(s[i + 1]);
            if (hi < 0 || lo < 0) {
                sl_sql_fn_fail(cx, out, "Unrecognized character: %c", hi < 0 ? s[i] : s[i + 1]);
                return false;
            }
            char b = (char)(hi << 4 | lo);
            sl_sql_sb_put(sb, &b, 1);
        }
    } else if (enc == ENC_UTF8) {
        sl_sql_sb_put(sb, s, len);
    } else if (enc == ENC_ASCII) {
        for (uint32_t i = 0; i < len;) {
            uint32_t step = sl_sql_utf8_step(s + i, len - i);
            char b = step == 1 && (unsigned char)s[i] < 0x80 ? s[i] : '?';
            sl_sql_sb_put(sb, &b, 1);
            i += step;
        }
    } else {
        char *clean = sl_arena_alloc(cx->arena, len + 1u);
        uint32_t k = 0;
        for (uint32_t i = 0; clean && i < len; i++) {
            char c = s[i];
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                c == '=')
                clean[k++] = c;
        }
        const uint8_t *bytes;
        uint32_t blen;
        if (!clean || !sl_sql_base64_read(clean, k, cx->arena, &bytes, &blen)) {
            sl_sql_fn_fail(cx, out, "Input is not valid base64: '%.*s'", (int)SL_MIN(len, 50u), s);
            return false;
        }
        sl_sql_sb_put(sb, bytes, blen);
    }
    return true;
}

/* Bytes b[0..len) as text in encoding enc onto sb: hex (upper or lower
 * case), the bytes as UTF-8 or ASCII (U+FFFD for what does not decode),
 * or base64 (MIME: lines of 76, or one line). */
static void bytes_to_text(int enc, const unsigned char *b, uint32_t len, bool lower_hex, bool mime, sl_sql_sb_t *sb,
                          sl_sql_eval_t *cx)
{
    if (enc == ENC_HEX) {
        const char *hex = lower_hex ? "0123456789abcdef" : "0123456789ABCDEF";
        for (uint32_t i = 0; i < len; i++) {
            char h[2] = {hex[b[i] >> 4], hex[b[i] & 15]};
            sl_sql_sb_put(sb, h, 2);
        }
    } else if (enc == ENC_BASE64) {
        sl_buf_t buf;
        sl_buf_init(&buf);
        sl_sql_base64_write(b, len, &buf);
        size_t line = mime ? 76 : buf.len;
        for (size_t i = 0; sl_buf_err(&buf) == SL_OK && i < buf.len; i += line) {
            if (i)
                sl_sql_sb_put(sb, "\r\n", 2);
            sl_sql_sb_put(sb, buf.data + i, SL_MIN(line, buf.len - i));
        }
        if (sl_buf_err(&buf) != SL_OK)
            sb->oom = true;
        sl_buf_free(&buf);
    } else if (enc == ENC_UTF8) {
        const char *text;
        uint32_t tlen;
        if (!sl_sql_utf8_text((const char *)b, len, cx->arena, &text, &tlen))
            sb->oom = true;
        else
            sl_sql_sb_put(sb, text, tlen);
    } else {
        for (uint32_t i = 0; i < len; i++) {
            if (b[i] < 0x80)
                sl_sql_sb_put(sb, b + i, 1);
            else
                sl_sql_utf8_put(sb, 0xFFFD);
        }
    }
}

/* TO_BYTES(str, encoding). */
static void eval_to_bytes(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                          sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    int enc = encoding_of(&args[1], cx, out);
    if (enc < 0)
        return;
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, args[0].u.s.len);
    if (text_to_bytes(enc, args[0].u.s.ptr, args[0].u.s.len, &sb, cx, out) && sl_sql_sb_done(&sb, cx, out))
        out->kind = SL_SQL_T_BYTES;
}

/* FROM_BYTES(bytes, encoding): hex in upper case, base64 in MIME lines. */
static void eval_from_bytes(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                            sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    int enc = encoding_of(&args[1], cx, out);
    if (enc < 0)
        return;
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, args[0].u.s.len * 2);
    bytes_to_text(enc, (const unsigned char *)args[0].u.s.ptr, args[0].u.s.len, false, true, &sb, cx);
    sl_sql_sb_done(&sb, cx, out);
}

/* ENCODE(str, inputEncoding, outputEncoding), as ksqlDB's: the text
 * decoded from one encoding and written in another (the two must differ);
 * hex input may start with 0x (an odd digit count gets a leading 0) or be
 * written X'..'; hex output is lower case, base64 one line. */
static void eval_encode(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                        sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    bool had_error = cx->error[0] != '\0';
    int from = encoding_of(&args[1], cx, out), to = encoding_of(&args[2], cx, out);
    if (from < 0 || to < 0 || from == to) {
        if (!had_error)
            cx->error[0] = '\0'; /* ksqlDB's own sentence, not encoding_of's */
        sl_sql_fn_fail(cx, out, "Supported input and output encodings are: hex, utf8, ascii and base64");
        return;
    }
    const char *s = args[0].u.s.ptr;
    uint32_t len = args[0].u.s.len;
    char *padded = NULL;
    if (from == ENC_HEX && len >= 2 && s[0] == '0' && s[1] == 'x') {
        s += 2;
        len -= 2;
        if (len % 2 && (padded = sl_arena_alloc(cx->arena, len + 1u))) {
            padded[0] = '0';
            memcpy(padded + 1, s, len);
            s = padded;
            len++;
        }
    } else if (from == ENC_HEX && len >= 3 && (s[0] == 'x' || s[0] == 'X') && s[1] == '\'' && s[len - 1] == '\'') {
        s += 2;
        len -= 3;
    }
    sl_sql_sb_t bytes, text;
    sl_sql_sb_init(&bytes, cx->arena, len);
    if (!text_to_bytes(from, s, len, &bytes, cx, out))
        return;
    if (bytes.oom) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return;
    }
    sl_sql_sb_init(&text, cx->arena, bytes.len * 2);
    bytes_to_text(to, (const unsigned char *)(bytes.p ? bytes.p : ""), bytes.len, true, false, &text, cx);
    sl_sql_sb_done(&text, cx, out);
}

/* --- Characters or bytes ---------------------------------------------------------
 * The functions with a BYTES form (LEN, SUBSTRING, CONCAT, CONCAT_WS, SPLIT,
 * LPAD, RPAD) count bytes where the STRING form counts characters. */

static uint32_t u_count(bool bytes, const char *p, uint32_t n)
{
    return bytes ? n : sl_sql_utf8_count(p, n);
}

static uint32_t u_offset(bool bytes, const char *p, uint32_t n, uint32_t k)
{
    return bytes ? SL_MIN(k, n) : sl_sql_utf8_offset(p, n, k);
}

static uint32_t u_step(bool bytes, const char *p, uint32_t n)
{
    return bytes ? (n ? 1 : 0) : sl_sql_utf8_step(p, n);
}

/* A STRING or BYTES slice, as the input was. */
static sl_sql_datum_t slice_of(bool bytes, const char *p, uint32_t n)
{
    sl_sql_datum_t d = sl_sql_string(p, n);
    if (bytes)
        d.kind = SL_SQL_T_BYTES;
    return d;
}

/* --- CONCAT, CONCAT_WS ------------------------------------------------------ */

static void eval_concat(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                        sl_sql_datum_t *out)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += sl_sql_datum_is_null(&args[i]) ? 0 : args[i].u.s.len;
    if (total > UINT32_MAX / 2) {
        sl_sql_fn_fail(cx, out, "CONCAT: result too long");
        return;
    }
    char *p = sl_sql_fn_string(cx, (uint32_t)total, out);
    if (!p)
        return;
    out->kind = (uint8_t)call->type->kind; /* STRING or BYTES */
    for (uint32_t i = 0; i < n; i++) {
        if (!sl_sql_datum_is_null(&args[i]) && args[i].u.s.len) {
            memcpy(p, args[i].u.s.ptr, args[i].u.s.len);
            p += args[i].u.s.len;
        }
    }
}

static void eval_concat_ws(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    if (sl_sql_fn_null_arg(args, 1, out))
        return;
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, 64);
    bool any = false;
    for (uint32_t i = 1; i < n; i++) {
        if (sl_sql_datum_is_null(&args[i]))
            continue;
        if (any)
            sl_sql_sb_put(&sb, args[0].u.s.ptr, args[0].u.s.len);
        sl_sql_sb_put(&sb, args[i].u.s.ptr, args[i].u.s.len);
        any = true;
    }
    if (sl_sql_sb_done(&sb, cx, out))
        out->kind = (uint8_t)call->type->kind;
}

/* --- Case, TRIM, LEN ---------------------------------------------------------- */

/* The other case of a 2-byte code point cp, or cp. */
static uint32_t case_map(uint32_t cp, bool upper)
{
    if (upper) {
        if ((cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) || (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) ||
            (cp >= 0x430 && cp <= 0x44F))
            return cp - 0x20;
        if (cp >= 0x450 && cp <= 0x45F)
            return cp - 0x50;
    } else {
        if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) ||
            (cp >= 0x410 && cp <= 0x42F))
            return cp + 0x20;
        if (cp >= 0x400 && cp <= 0x40F)
            return cp + 0x50;
    }
    return cp;
}

/* Writes the character at s[0..step) in upper or lower case to d (same
 * length: the mappings above stay within 2-byte sequences). */
static void case_char(const char *s, uint32_t step, char *d, bool upper)
{
    if (step == 1) {
        char c = s[0];
        if (upper && c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        else if (!upper && c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        d[0] = c;
        return;
    }
    if (step == 2) {
        uint32_t cp = ((uint32_t)(s[0] & 0x1F) << 6) | (uint32_t)(s[1] & 0x3F);
        cp = case_map(cp, upper);
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return;
    }
    memcpy(d, s, step);
}

/* mode: 'U' upper, 'L' lower, 'I' initial capitals. */
static void change_case(const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out, char mode)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const char *s = args[0].u.s.ptr;
    uint32_t len = args[0].u.s.len;
    char *d = sl_sql_fn_string(cx, len, out);
    if (!d)
        return;
    bool word_start = true;
    for (uint32_t i = 0; i < len;) {
        uint32_t step = sl_sql_utf8_step(s + i, len - i);
        bool upper = mode == 'U' || (mode == 'I' && word_start);
        case_char(s + i, step, d + i, upper);
        word_start = step == 1 && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r');
        i += step;
    }
}

static void eval_ucase(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    change_case(args, n, cx, out, 'U');
}

static void eval_lcase(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    change_case(args, n, cx, out, 'L');
}

static void eval_initcap(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                         sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    change_case(args, n, cx, out, 'I');
}

static void eval_trim(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                      sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    /* Java's String.trim: every character up to U+0020 goes. */
    const char *s = args[0].u.s.ptr;
    uint32_t a = 0, b = args[0].u.s.len;
    while (a < b && (unsigned char)s[a] <= ' ')
        a++;
    while (b > a && (unsigned char)s[b - 1] <= ' ')
        b--;
    *out = sl_sql_string(s + a, b - a);
}

static void eval_len(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                     sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    *out = sl_sql_int((int32_t)u_count(args[0].kind == SL_SQL_T_BYTES, args[0].u.s.ptr, args[0].u.s.len));
}

/* --- SUBSTRING --------------------------------------------------------------- */

static void eval_substring(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                           sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    bool bytes = args[0].kind == SL_SQL_T_BYTES;
    const char *s = args[0].u.s.ptr;
    uint32_t blen = args[0].u.s.len;
    int64_t chars = u_count(bytes, s, blen);
    int64_t pos = args[1].u.i32;
    /* ksqlDB: 1-based; negative counts from the end; clamped to the string. */
    int64_t start = pos < 0 ? SL_MAX(chars + pos, 0) : SL_MAX(SL_MIN(pos - 1, chars), 0);
    int64_t end = chars;
    if (n > 2)
        end = SL_MAX(SL_MIN(start + (int64_t)args[2].u.i32, chars), start);
    uint32_t bs = u_offset(bytes, s, blen, (uint32_t)start);
    uint32_t be = bs + u_offset(bytes, s + bs, blen - bs, (uint32_t)(end - start));
    *out = slice_of(bytes, s + bs, be - bs);
}

/* --- REPLACE, SPLIT ----------------------------------------------------------- */

static void eval_replace(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                         sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    const char *s = args[0].u.s.ptr;
    uint32_t len = args[0].u.s.len, on = args[1].u.s.len;
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, len + 16);
    if (on == 0) { /* Java: the replacement goes around every character */
        for (uint32_t i = 0; i < len;) {
            uint32_t step = sl_sql_utf8_step(s + i, len - i);
            sl_sql_sb_put(&sb, args[2].u.s.ptr, args[2].u.s.len);
            sl_sql_sb_put(&sb, s + i, step);
            i += step;
        }
        sl_sql_sb_put(&sb, args[2].u.s.ptr, args[2].u.s.len);
        sl_sql_sb_done(&sb, cx, out);
        return;
    }
    uint32_t i = 0;
    for (;;) {
        const char *hit = find_bytes(s + i, len - i, args[1].u.s.ptr, on);
        if (!hit)
            break;
        uint32_t at = (uint32_t)(hit - s);
        sl_sql_sb_put(&sb, s + i, at - i);
        sl_sql_sb_put(&sb, args[2].u.s.ptr, args[2].u.s.len);
        i = at + on;
    }
    sl_sql_sb_put(&sb, s + i, len - i);
    sl_sql_sb_done(&sb, cx, out);
}

/* ARRAY<STRING>, or ARRAY<BYTES> for SPLIT of BYTES. */
static const sl_sql_type_t *resolve_string_array(sl_arena_t *arena, const sl_sql_type_t *const *arg_types,
                                                 uint32_t n, char *err, size_t errlen)
{
    bool bytes = n > 0 && arg_types[0] && arg_types[0]->kind == SL_SQL_T_BYTES;
    const sl_sql_type_t *t = sl_sql_type_array(arena, sl_sql_type_of(bytes ? SL_SQL_T_BYTES : SL_SQL_T_STRING));
    if (!t)
        snprintf(err, errlen, "out of memory");
    return t;
}

static void eval_split(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    bool bytes = args[0].kind == SL_SQL_T_BYTES;
    const char *s = args[0].u.s.ptr;
    uint32_t len = args[0].u.s.len;
    const char *d = args[1].u.s.ptr;
    uint32_t dn = args[1].u.s.len;
    uint32_t parts;
    if (dn == 0) {
        parts = len ? u_count(bytes, s, len) : 1;
    } else {
        parts = 1;
        for (uint32_t i = 0;;) {
            const char *hit = find_bytes(s + i, len - i, d, dn);
            if (!hit)
                break;
            parts++;
            i = (uint32_t)(hit - s) + dn;
        }
    }
    sl_sql_datum_t *items = sl_arena_calloc(cx->arena, parts, sizeof *items);
    if (!items) {
        sl_sql_fn_fail(cx, out, "out of memory");
        return;
    }
    uint32_t k = 0;
    if (dn == 0) { /* one element per character; "" gives [""] */
        if (!len)
            items[k++] = slice_of(bytes, s, 0);
        for (uint32_t i = 0; i < len; k++) {
            uint32_t step = u_step(bytes, s + i, len - i);
            items[k] = slice_of(bytes, s + i, step);
            i += step;
        }
    } else {
        uint32_t i = 0;
        for (;;) {
            const char *hit = find_bytes(s + i, len - i, d, dn);
            if (!hit)
                break;
            uint32_t at = (uint32_t)(hit - s);
            items[k++] = slice_of(bytes, s + i, at - i);
            i = at + dn;
        }
        items[k++] = slice_of(bytes, s + i, len - i);
    }
    out->kind = SL_SQL_T_ARRAY;
    out->scale = 0;
    out->u.a.items = items;
    out->u.a.n = k;
}

/* --- INSTR -------------------------------------------------------------------- */

/* The 1-based character position of the occurrence-th match of sub in s
 * searching forwards from character position pos (backwards from the
 * pos-th character from the end when pos is negative); 0 when none. */
static int32_t instr(const char *s, uint32_t len, const char *sub, uint32_t sn, int64_t pos, int64_t occurrence)
{
    int64_t chars = sl_sql_utf8_count(s, len);
    if (pos == 0 || (pos < 0 ? -pos : pos) > chars || occurrence <= 0)
        return 0;
    if (pos > 0) {
        uint32_t i = sl_sql_utf8_offset(s, len, (uint32_t)(pos - 1));
        for (;;) {
            const char *hit = find_bytes(s + i, len - i, sub, sn);
            if (!hit)
                return 0;
            uint32_t at = (uint32_t)(hit - s);
            if (--occurrence == 0)
                return (int32_t)sl_sql_utf8_count(s, at) + 1;
            i = at + (sn ? sn : sl_sql_utf8_step(s + at, len - at));
            if (i > len)
                return 0;
        }
    }
    /* Backwards: a match must end at or before the (-pos)-th character from
     * the end (counting that character). */
    uint32_t limit = sl_sql_utf8_offset(s, len, (uint32_t)(chars + pos + 1));
    for (int64_t at = (int64_t)limit - sn; at >= 0; at--) {
        if (((unsigned char)s[at] & 0xC0) == 0x80)
            continue;
        if (memcmp(s + at, sub, sn) == 0 && --occurrence == 0)
            return (int32_t)sl_sql_utf8_count(s, (uint32_t)at) + 1;
    }
    return 0;
}

static void eval_instr(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                       sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    SL_UNUSED(cx);
    if (sl_sql_datum_is_null(&args[0]) || sl_sql_datum_is_null(&args[1])) {
        *out = sl_sql_int(0); /* ksqlDB: 0, not NULL */
        return;
    }
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    int64_t pos = n > 2 ? args[2].u.i32 : 1;
    int64_t occ = n > 3 ? args[3].u.i32 : 1;
    *out = sl_sql_int(instr(args[0].u.s.ptr, args[0].u.s.len, args[1].u.s.ptr, args[1].u.s.len, pos, occ));
}

/* --- LPAD, RPAD ----------------------------------------------------------------- */

static void pad(const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out, bool left)
{
    if (sl_sql_fn_null_arg(args, n, out))
        return;
    bool bytes = args[0].kind == SL_SQL_T_BYTES;
    int64_t target = args[1].u.i32;
    const char *s = args[0].u.s.ptr, *p = args[2].u.s.ptr;
    uint32_t sl = args[0].u.s.len, pl = args[2].u.s.len;
    if (target < 0 || pl == 0) {
        *out = sl_sql_null(); /* as ksqlDB */
        return;
    }
    if (target > (int64_t)SL_SQL_SB_MAX) { /* a character is at least a byte */
        sl_sql_fn_fail(cx, out, "the result would be longer than %u bytes", SL_SQL_SB_MAX);
        return;
    }
    uint32_t chars = u_count(bytes, s, sl);
    if ((int64_t)chars >= target) { /* truncated to the target length */
        *out = slice_of(bytes, s, u_offset(bytes, s, sl, (uint32_t)target));
        return;
    }
    uint32_t need = (uint32_t)target - chars; /* padding characters */
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, sl + SL_MIN(need, 4096u));
    if (!left)
        sl_sql_sb_put(&sb, s, sl);
    uint32_t pchars = u_count(bytes, p, pl);
    while (need > 0 && !sb.oom) {
        uint32_t take = SL_MIN(need, pchars);
        sl_sql_sb_put(&sb, p, u_offset(bytes, p, pl, take));
        need -= take;
    }
    if (left)
        sl_sql_sb_put(&sb, s, sl);
    if (sl_sql_sb_done(&sb, cx, out) && bytes)
        out->kind = SL_SQL_T_BYTES;
}

static void eval_lpad(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                      sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    pad(args, n, cx, out, true);
}

static void eval_rpad(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx,
                      sl_sql_datum_t *out)
{
    SL_UNUSED(call);
    pad(args, n, cx, out, false);
}

/* --- MASK, MASK_KEEP_LEFT, MASK_KEEP_RIGHT, MASK_LEFT, MASK_RIGHT ------------- */

#define NO_MASK UINT32_MAX

/* The masking character a mask argument gives: NULL keeps the class
 * unmasked; anything but one character is an error (false). */
static bool mask_char(const sl_sql_datum_t *d, uint32_t *mask)
{
    if (sl_sql_datum_is_null(d)) {
        *mask = NO_MASK;
        return true;
    }
    uint32_t step;
    if (sl_sql_utf8_count(d->u.s.ptr, d->u.s.len) != 1)
        return false;
    *mask = sl_sql_utf8_decode(d->u.s.ptr, d->u.s.len, &step);
    return true;
}

/* which: 'M' all, 'l' keep left, 'r' keep right, 'L' left n, 'R' right n.
 * args: str, [n,] then either nothing or upper, lower, digit, other. */
static void mask(const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, sl_sql_datum_t *out, char which,
                 const char *fname)
{
    uint32_t first_mask = which == 'M' ? 1 : 2;
    uint32_t masks[4] = {'X', 'x', 'n', '-'};
    for (uint32_t i = first_mask; i < n; i++) {
        if (!mask_char(&args[i], &masks[i - first_mask])) {
            sl_sql_fn_fail(cx, out, "Invalid mask character. Must be only single character, but was '%.*s'",
                           (int)SL_MIN(args[i].u.s.len, 50u), args[i].u.s.ptr);
            return;
        }
    }
    if (sl_sql_datum_is_null(&args[0]) || (first_mask == 2 && sl_sql_datum_is_null(&args[1]))) {
        *out = sl_sql_null();
        return;
    }
    int64_t count = first_mask == 2 ? args[1].u.i32 : 0;
    if (count < 0) {
        sl_sql_fn_fail(cx, out, "function %s requires a non-negative number of characters to mask or skip", fname);
        return;
    }
    const char *s = args[0].u.s.ptr;
    uint32_t len = args[0].u.s.len;
    int64_t chars = sl_sql_utf8_count(s, len), k = SL_MIN(count, chars), from = 0, to = chars;
    switch (which) {
    case 'l': from = k; break;
    case 'r': to = chars - k; break;
    case 'L': to = k; break;
    case 'R': from = chars - k; break;
    default: break;
    }
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, cx->arena, len);
    int64_t ci = 0;
    for (uint32_t i = 0; i < len; ci++) {
        uint32_t step;
        uint32_t cp = sl_sql_utf8_decode(s + i, len - i, &step);
        uint32_t m = NO_MASK;
        if (ci >= from && ci < to) {
            if (cp < 0x80)
                m = cp >= 'A' && cp <= 'Z'   ? masks[0]
                    : cp >= 'a' && cp <= 'z' ? masks[1]
                    : cp >= '0' && cp <= '9' ? masks[2]
                                             : masks[3];
            else if (case_map(cp, false) != cp)
                m = masks[0];
            else if (case_map(cp, true) != cp)
                m = masks[1];
            else
                m = masks[3];
        }
        if (m == NO_MASK)
            sl_sql_sb_put(&sb, s + i, step);
        else
            sl_sql_utf8_put(&sb, m);
        i += step;
    }
    sl_sql_sb_done(&sb, cx, out);
}

#define MASK_FN(fn, which, NAME)                                                                          \
    static void fn(const sl_sql_expr_t *call, const sl_sql_datum_t *args, uint32_t n, sl_sql_eval_t *cx, \
                   sl_sql_datum_t *out)                                                                  \
    {                                                                                                    \
        SL_UNUSED(call);                                                                                 \
        mask(args, n, cx, out, which, NAME);                                                             \
    }
MASK_FN(eval_mask, 'M', "mask")
MASK_FN(eval_mask_keep_left, 'l', "mask_keep_left")
MASK_FN(eval_mask_keep_right, 'r', "mask_keep_right")
MASK_FN(eval_mask_left, 'L', "mask_left")
MASK_FN(eval_mask_right, 'R', "mask_right")

/* --- The group ------------------------------------------------------------------ */

static const sl_sql_tkind_t P_STR_INT[] = {SL_SQL_T_STRING, SL_SQL_T_INT};
static const sl_sql_tkind_t P_STR_INT_INT[] = {SL_SQL_T_STRING, SL_SQL_T_INT, SL_SQL_T_INT};
static const sl_sql_tkind_t P_STR_INT_STR[] = {SL_SQL_T_STRING, SL_SQL_T_INT, SL_SQL_T_STRING};
static const sl_sql_tkind_t P_STR2_INT[] = {SL_SQL_T_STRING, SL_SQL_T_STRING, SL_SQL_T_INT};
static const sl_sql_tkind_t P_STR2_INT2[] = {SL_SQL_T_STRING, SL_SQL_T_STRING, SL_SQL_T_INT, SL_SQL_T_INT};

static const sl_sql_tkind_t P_STR5[] = {SL_SQL_T_STRING, SL_SQL_T_STRING, SL_SQL_T_STRING, SL_SQL_T_STRING,
                                        SL_SQL_T_STRING};
static const sl_sql_tkind_t P_STR_INT_STR4[] = {SL_SQL_T_STRING, SL_SQL_T_INT,    SL_SQL_T_STRING,
                                                SL_SQL_T_STRING, SL_SQL_T_STRING, SL_SQL_T_STRING};

#define MASK_OVERLOADS(fn, NAME, what)                                                                       \
    SL_SQL_OV(P_STR_INT, SL_SQL_T_STRING, fn, NAME "(input VARCHAR, numChars INT)", what),                    \
        SL_SQL_OV(P_STR_INT_STR4, SL_SQL_T_STRING, fn,                                                      \
                  NAME "(input VARCHAR, numChars INT, upper VARCHAR, lower VARCHAR, digit VARCHAR, other VARCHAR)", \
                  what ", with these masking characters (NULL: leave that class)")

static const sl_sql_overload_t MASK_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_mask, "MASK(input VARCHAR)",
              "input with upper-case letters as X, lower-case as x, digits as n, others as -"),
    SL_SQL_OV(P_STR5, SL_SQL_T_STRING, eval_mask,
              "MASK(input VARCHAR, upper VARCHAR, lower VARCHAR, digit VARCHAR, other VARCHAR)",
              "input masked with these characters (NULL: leave that class)"),
};
static const sl_sql_overload_t MASK_KEEP_LEFT_O[] = {
    MASK_OVERLOADS(eval_mask_keep_left, "MASK_KEEP_LEFT", "input masked but its first numChars characters")};
static const sl_sql_overload_t MASK_KEEP_RIGHT_O[] = {
    MASK_OVERLOADS(eval_mask_keep_right, "MASK_KEEP_RIGHT", "input masked but its last numChars characters")};
static const sl_sql_overload_t MASK_LEFT_O[] = {
    MASK_OVERLOADS(eval_mask_left, "MASK_LEFT", "input with its first numChars characters masked")};
static const sl_sql_overload_t MASK_RIGHT_O[] = {
    MASK_OVERLOADS(eval_mask_right, "MASK_RIGHT", "input with its last numChars characters masked")};
static const sl_sql_tkind_t P_BYTES[] = {SL_SQL_T_BYTES};
static const sl_sql_tkind_t P_BYTES2[] = {SL_SQL_T_BYTES, SL_SQL_T_BYTES};
static const sl_sql_tkind_t P_BYTES3[] = {SL_SQL_T_BYTES, SL_SQL_T_BYTES, SL_SQL_T_BYTES};
static const sl_sql_tkind_t P_BYTES_INT[] = {SL_SQL_T_BYTES, SL_SQL_T_INT};
static const sl_sql_tkind_t P_BYTES_INT_INT[] = {SL_SQL_T_BYTES, SL_SQL_T_INT, SL_SQL_T_INT};
static const sl_sql_tkind_t P_BYTES_INT_BYTES[] = {SL_SQL_T_BYTES, SL_SQL_T_INT, SL_SQL_T_BYTES};

static const sl_sql_overload_t CONCAT_O[] = {
    {SL_SQL_P_STRING, 1, true, SL_SQL_T_STRING, NULL, eval_concat, NULL, "CONCAT(str1 VARCHAR, strs VARCHAR...)",
     "the strings joined, NULLs skipped"},
    {P_BYTES, 1, true, SL_SQL_T_BYTES, NULL, eval_concat, NULL, "CONCAT(bytes1 BYTES, bytes BYTES...)",
     "the bytes joined, NULLs skipped"},
};
static const sl_sql_overload_t CONCAT_WS_O[] = {
    {SL_SQL_P_STRING3, 3, true, SL_SQL_T_STRING, NULL, eval_concat_ws, NULL,
     "CONCAT_WS(separator VARCHAR, str1 VARCHAR, strs VARCHAR...)",
     "the strings joined with separator, NULLs skipped; NULL when separator is NULL"},
    {P_BYTES3, 3, true, SL_SQL_T_BYTES, NULL, eval_concat_ws, NULL,
     "CONCAT_WS(separator BYTES, bytes1 BYTES, bytes BYTES...)", "the bytes joined with separator"},
};
static const sl_sql_overload_t LCASE_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_lcase, "LCASE(str VARCHAR)", "str in lower case")};
static const sl_sql_overload_t UCASE_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_ucase, "UCASE(str VARCHAR)", "str in upper case")};
static const sl_sql_overload_t INITCAP_O[] = {SL_SQL_OV(
    SL_SQL_P_STRING, SL_SQL_T_STRING, eval_initcap, "INITCAP(str VARCHAR)", "str with each word capitalised")};
static const sl_sql_overload_t TRIM_O[] = {SL_SQL_OV(
    SL_SQL_P_STRING, SL_SQL_T_STRING, eval_trim, "TRIM(str VARCHAR)", "str without leading and trailing blanks")};
static const sl_sql_overload_t LEN_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_INT, eval_len, "LEN(str VARCHAR)", "the number of characters of str"),
    SL_SQL_OV(P_BYTES, SL_SQL_T_INT, eval_len, "LEN(bytes BYTES)", "the number of bytes")};
static const sl_sql_overload_t SUBSTRING_O[] = {
    SL_SQL_OV(P_STR_INT, SL_SQL_T_STRING, eval_substring, "SUBSTRING(str VARCHAR, pos INT)",
              "str from the 1-based position pos (from the end when negative) to its end"),
    SL_SQL_OV(P_STR_INT_INT, SL_SQL_T_STRING, eval_substring, "SUBSTRING(str VARCHAR, pos INT, len INT)",
              "len characters of str from the 1-based position pos"),
    SL_SQL_OV(P_BYTES_INT, SL_SQL_T_BYTES, eval_substring, "SUBSTRING(bytes BYTES, pos INT)",
              "the bytes from the 1-based position pos"),
    SL_SQL_OV(P_BYTES_INT_INT, SL_SQL_T_BYTES, eval_substring, "SUBSTRING(bytes BYTES, pos INT, len INT)",
              "len bytes from the 1-based position pos"),
};
static const sl_sql_overload_t REPLACE_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING3, SL_SQL_T_STRING, eval_replace,
              "REPLACE(str VARCHAR, target VARCHAR, replacement VARCHAR)",
              "str with every occurrence of target replaced")};
static const sl_sql_overload_t SPLIT_O[] = {
    {SL_SQL_P_STRING2, 2, false, SL_SQL_T_NULL, resolve_string_array, eval_split, NULL,
     "SPLIT(str VARCHAR, delimiter VARCHAR)", "the parts of str between delimiters, as ARRAY<VARCHAR>"},
    {P_BYTES2, 2, false, SL_SQL_T_NULL, resolve_string_array, eval_split, NULL, "SPLIT(bytes BYTES, delimiter BYTES)",
     "the parts of bytes between delimiters, as ARRAY<BYTES>"},
};
static const sl_sql_overload_t INSTR_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING2, SL_SQL_T_INT, eval_instr, "INSTR(str VARCHAR, substring VARCHAR)",
              "the 1-based position of substring in str, 0 if absent"),
    SL_SQL_OV(P_STR2_INT, SL_SQL_T_INT, eval_instr, "INSTR(str VARCHAR, substring VARCHAR, position INT)",
              "the same, searching from position (backwards from the end when negative)"),
    SL_SQL_OV(P_STR2_INT2, SL_SQL_T_INT, eval_instr,
              "INSTR(str VARCHAR, substring VARCHAR, position INT, occurrence INT)",
              "the position of the occurrence-th match"),
};
static const sl_sql_overload_t LPAD_O[] = {
    SL_SQL_OV(P_STR_INT_STR, SL_SQL_T_STRING, eval_lpad, "LPAD(input VARCHAR, length INT, padding VARCHAR)",
              "input padded on the left (or truncated) to length characters"),
    SL_SQL_OV(P_BYTES_INT_BYTES, SL_SQL_T_BYTES, eval_lpad, "LPAD(input BYTES, length INT, padding BYTES)",
              "input padded on the left (or truncated) to length bytes")};
static const sl_sql_overload_t RPAD_O[] = {
    SL_SQL_OV(P_STR_INT_STR, SL_SQL_T_STRING, eval_rpad, "RPAD(input VARCHAR, length INT, padding VARCHAR)",
              "input padded on the right (or truncated) to length characters"),
    SL_SQL_OV(P_BYTES_INT_BYTES, SL_SQL_T_BYTES, eval_rpad, "RPAD(input BYTES, length INT, padding BYTES)",
              "input padded on the right (or truncated) to length bytes")};
static const sl_sql_tkind_t P_INT_STR[] = {SL_SQL_T_INT, SL_SQL_T_STRING};

static const sl_sql_tkind_t P_BYTES_STR[] = {SL_SQL_T_BYTES, SL_SQL_T_STRING};

static const sl_sql_overload_t TO_BYTES_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING2, SL_SQL_T_BYTES, eval_to_bytes, "TO_BYTES(str VARCHAR, encoding VARCHAR)",
              "str decoded from 'hex', 'utf8', 'ascii' or 'base64' into BYTES"),
};
static const sl_sql_overload_t ENCODE_O[] = {
    SL_SQL_OV(SL_SQL_P_STRING3, SL_SQL_T_STRING, eval_encode,
              "ENCODE(str VARCHAR, inputEncoding VARCHAR, outputEncoding VARCHAR)",
              "str read in inputEncoding and written in outputEncoding (hex, utf8, ascii, base64)"),
};
static const sl_sql_overload_t FROM_BYTES_O[] = {
    SL_SQL_OV(P_BYTES_STR, SL_SQL_T_STRING, eval_from_bytes, "FROM_BYTES(bytes BYTES, encoding VARCHAR)",
              "bytes encoded as 'hex', 'utf8', 'ascii' or 'base64' text"),
};
static const sl_sql_overload_t REGEXP_EXTRACT_ALL_O[] = {
    {SL_SQL_P_STRING2, 2, false, SL_SQL_T_NULL, resolve_string_array, eval_regexp_extract_all, prepare_pattern_arg0,
     "REGEXP_EXTRACT_ALL(pattern VARCHAR, input VARCHAR)", "every substring of input matching pattern"},
    {P_STR2_INT, 3, false, SL_SQL_T_NULL, resolve_string_array, eval_regexp_extract_all, prepare_pattern_arg0,
     "REGEXP_EXTRACT_ALL(pattern VARCHAR, input VARCHAR, group INT)", "the given group of every match"},
};
static const sl_sql_overload_t REGEXP_SPLIT_TO_ARRAY_O[] = {
    {SL_SQL_P_STRING2, 2, false, SL_SQL_T_NULL, resolve_string_array, eval_regexp_split, prepare_pattern_arg1,
     "REGEXP_SPLIT_TO_ARRAY(str VARCHAR, regexp VARCHAR)", "the parts of str between matches of regexp"},
};
static const sl_sql_overload_t CHR_O[] = {
    SL_SQL_OV(SL_SQL_P_INT, SL_SQL_T_STRING, eval_chr_int, "CHR(decimalCode INT)", "the character of a code point"),
    SL_SQL_OV(SL_SQL_P_STRING, SL_SQL_T_STRING, eval_chr_str, "CHR(utf16Code VARCHAR)",
              "the character of a \\uXXXX escape"),
};
static const sl_sql_overload_t ELT_O[] = {
    {P_INT_STR, 2, true, SL_SQL_T_STRING, NULL, eval_elt, NULL, "ELT(n INT, args VARCHAR...)",
     "the n-th of the strings (1-based), NULL when out of range"},
};
static const sl_sql_overload_t FIELD_O[] = {
    {SL_SQL_P_STRING2, 2, true, SL_SQL_T_INT, NULL, eval_field, NULL, "FIELD(str VARCHAR, args VARCHAR...)",
     "the 1-based position of str among args, 0 if absent"},
};
static const sl_sql_overload_t SPLIT_TO_MAP_O[] = {
    {SL_SQL_P_STRING3, 3, false, SL_SQL_T_NULL, sl_sql_fn_resolve_string_map, eval_split_to_map, NULL,
     "SPLIT_TO_MAP(input VARCHAR, entryDelimiter VARCHAR, kvDelimiter VARCHAR)",
     "a MAP<VARCHAR, VARCHAR> of the key-value entries of input"},
};
static const sl_sql_overload_t REGEXP_EXTRACT_O[] = {
    {SL_SQL_P_STRING2, 2, false, SL_SQL_T_STRING, NULL, eval_regexp_extract, prepare_pattern_arg0,
     "REGEXP_EXTRACT(pattern VARCHAR, input VARCHAR)", "the first substring of input matching pattern"},
    {P_STR2_INT, 3, false, SL_SQL_T_STRING, NULL, eval_regexp_extract, prepare_pattern_arg0,
     "REGEXP_EXTRACT(pattern VARCHAR, input VARCHAR, group INT)", "the given group of the first match"},
};
static const sl_sql_overload_t REGEXP_REPLACE_O[] = {
    {SL_SQL_P_STRING3, 3, false, SL_SQL_T_STRING, NULL, eval_regexp_replace, prepare_pattern_arg1,
     "REGEXP_REPLACE(input VARCHAR, pattern VARCHAR, replacement VARCHAR)",
     "input with every match of pattern replaced ($n names a group)"},
};

const sl_sql_func_t sl_sql_funcs_string[] = {
    SL_SQL_FN("CHR", "STRING", "Returns the character of a code point.", CHR_O),
    SL_SQL_FN("ELT", "STRING", "Returns the n-th of its string arguments.", ELT_O),
    SL_SQL_FN("FIELD", "STRING", "Returns the position of a string among the others.", FIELD_O),
    SL_SQL_FN("ENCODE", "STRING", "Converts a string from one encoding (hex, utf8, ascii, base64) to another.",
              ENCODE_O),
    SL_SQL_FN("FROM_BYTES", "STRING", "Encodes BYTES as text in hex, utf8, ascii or base64.", FROM_BYTES_O),
    SL_SQL_FN("TO_BYTES", "STRING", "Decodes text in hex, utf8, ascii or base64 into BYTES.", TO_BYTES_O),
    SL_SQL_FN("REGEXP_EXTRACT_ALL", "STRING", "Extracts every match of a regular expression or of one of its groups.",
              REGEXP_EXTRACT_ALL_O),
    SL_SQL_FN("REGEXP_SPLIT_TO_ARRAY", "STRING", "Splits a string around the matches of a regular expression.",
              REGEXP_SPLIT_TO_ARRAY_O),
    SL_SQL_FN("SPLIT_TO_MAP", "STRING", "Splits a string into a map of key-value entries.", SPLIT_TO_MAP_O),
    SL_SQL_FN("CONCAT", "STRING", "Concatenates strings, skipping NULLs.", CONCAT_O),
    SL_SQL_FN("CONCAT_WS", "STRING", "Concatenates strings with a separator between them, skipping NULLs.",
              CONCAT_WS_O),
    SL_SQL_FN("INITCAP", "STRING", "Capitalises the first letter of every word and lowers the others.",
              INITCAP_O),
    SL_SQL_FN("INSTR", "STRING", "Finds the position of a substring in a string.", INSTR_O),
    SL_SQL_FN("LCASE", "STRING", "Converts a string to lower case.", LCASE_O),
    SL_SQL_FN("LEN", "STRING", "Returns the number of characters in a string.", LEN_O),
    SL_SQL_FN("LPAD", "STRING", "Pads a string on the left to a length, or truncates it.", LPAD_O),
    SL_SQL_FN("MASK", "STRING", "Masks letters, digits and other characters of a string.", MASK_O),
    SL_SQL_FN("MASK_KEEP_LEFT", "STRING", "Masks a string except its first characters.", MASK_KEEP_LEFT_O),
    SL_SQL_FN("MASK_KEEP_RIGHT", "STRING", "Masks a string except its last characters.", MASK_KEEP_RIGHT_O),
    SL_SQL_FN("MASK_LEFT", "STRING", "Masks the first characters of a string.", MASK_LEFT_O),
    SL_SQL_FN("MASK_RIGHT", "STRING", "Masks the last characters of a string.", MASK_RIGHT_O),
    SL_SQL_FN("REGEXP_EXTRACT", "STRING", "Extracts the first match of a regular expression or one of its groups.",
              REGEXP_EXTRACT_O),
    SL_SQL_FN("REGEXP_REPLACE", "STRING", "Replaces every match of a regular expression.", REGEXP_REPLACE_O),
    SL_SQL_FN("REPLACE", "STRING", "Replaces every occurrence of a substring.", REPLACE_O),
    SL_SQL_FN("RPAD", "STRING", "Pads a string on the right to a length, or truncates it.", RPAD_O),
    SL_SQL_FN("SPLIT", "STRING", "Splits a string into an array around a delimiter.", SPLIT_O),
    SL_SQL_FN("SUBSTRING", "STRING", "Returns part of a string by 1-based position and length.", SUBSTRING_O),
    SL_SQL_FN("TRIM", "STRING", "Removes leading and trailing white space.", TRIM_O),
    SL_SQL_FN("UCASE", "STRING", "Converts a string to upper case.", UCASE_O),
    SL_SQL_FN_END,
};
