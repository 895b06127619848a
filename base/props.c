/*
 * props.c - Java .properties files, following java.util.Properties.load:
 * natural lines are joined into logical lines (a line ending in an odd number
 * of backslashes continues, and the next line's leading whitespace is
 * dropped), comments and blank lines are skipped, then each logical line is
 * split into key and value and the escapes in both are converted.
 *
 * The input is UTF-8 (as load(Reader) with a UTF-8 reader). Where Java
 * would quietly produce something odd we stop with "origin:LINE: message":
 * malformed \uXXXX, unpaired surrogates, NUL (raw or as \u0000), invalid
 * UTF-8. A UTF-8 byte order mark at the very start is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

#define PROPS_MAX_INPUT ((size_t)16 << 20)

typedef struct prop {
    char *key;
    char *value;
    int line;
} prop_t;

struct sl_props {
    char *origin;
    prop_t *items;
    size_t count;
    size_t cap;
    sl_map_t index; /* key -> (void *)(index + 1) */
};

static char *str_dup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static sl_props_t *props_new_origin(const char *origin)
{
    sl_props_t *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->origin = str_dup(origin ? origin : "");
    if (!p->origin) {
        free(p);
        return NULL;
    }
    sl_map_init(&p->index);
    return p;
}

sl_props_t *sl_props_new(void) { return props_new_origin(""); }

void sl_props_free(sl_props_t *props)
{
    if (!props)
        return;
    for (size_t i = 0; i < props->count; i++) {
        free(props->items[i].key);
        free(props->items[i].value);
    }
    free(props->items);
    sl_map_fini(&props->index, NULL);
    free(props->origin);
    free(props);
}

const char *sl_props_get(const sl_props_t *props, const char *key)
{
    uintptr_t i = (uintptr_t)sl_map_get(&props->index, key, strlen(key));
    return i ? props->items[i - 1].value : NULL;
}

sl_err_t sl_props_set(sl_props_t *props, const char *key, const char *value, int line)
{
    char *v = str_dup(value);
    if (!v)
        return SL_ERR_NOMEM;
    size_t klen = strlen(key);
    uintptr_t i = (uintptr_t)sl_map_get(&props->index, key, klen);
    if (i) {
        prop_t *p = &props->items[i - 1];
        free(p->value);
        p->value = v;
        p->line = line;
        return SL_OK;
    }
    if (props->count == props->cap) {
        size_t cap = props->cap ? props->cap * 2 : 16;
        prop_t *items = realloc(props->items, cap * sizeof(*items));
        if (!items) {
            free(v);
            return SL_ERR_NOMEM;
        }
        props->items = items;
        props->cap = cap;
    }
    char *k = str_dup(key);
    if (!k || sl_map_put(&props->index, key, klen, (void *)(uintptr_t)(props->count + 1), NULL) != SL_OK) {
        free(k);
        free(v);
        return SL_ERR_NOMEM;
    }
    props->items[props->count++] = (prop_t){k, v, line};
    return SL_OK;
}

size_t sl_props_count(const sl_props_t *props) { return props->count; }

void sl_props_at(const sl_props_t *props, size_t i, const char **key, const char **value, int *line)
{
    const prop_t *p = &props->items[i];
    if (key)
        *key = p->key;
    if (value)
        *value = p->value;
    if (line)
        *line = p->line;
}

const char *sl_props_origin(const sl_props_t *props) { return props->origin; }

/* ---------------------------------------------------------------------- */

/* Where a continuation line starts inside the logical line, for messages. */
typedef struct brk {
    size_t off;
    int line;
} brk_t;

typedef struct parser {
    const uint8_t *text;
    size_t len;
    size_t pos;
    int line;           /* natural line of text[pos] */
    const char *origin;
    char *errbuf;
    size_t errlen;
    sl_buf_t lbuf;      /* the current logical line */
    sl_buf_t brks;      /* brk_t entries for it */
    int lline;          /* natural line its first character came from */
    sl_buf_t out;       /* scratch for a converted key or value */
} parser_t;

static sl_err_t perr(parser_t *ps, int line, const char *fmt, ...) SL_PRINTF(3, 4);
static sl_err_t perr(parser_t *ps, int line, const char *fmt, ...)
{
    if (ps->errbuf && ps->errlen) {
        int n = snprintf(ps->errbuf, ps->errlen, "%s:%d: ", ps->origin, line);
        if (n >= 0 && (size_t)n < ps->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ps->errbuf + n, ps->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return SL_ERR_CONFIG;
}

/* Length of the well-formed UTF-8 sequence at p[0..n), or 0. Rejects
 * overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t need;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2; cp = c & 0x1f; min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3; cp = c & 0x0f; min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4; cp = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

/* The whole input must be UTF-8 without NUL; checked first so the line
 * splitter can treat every byte >= 0x80 as an ordinary character. */
static sl_err_t check_text(parser_t *ps)
{
    int line = 1;
    size_t col0 = 0;
    for (size_t i = 0; i < ps->len;) {
        uint8_t c = ps->text[i];
        if (c == '\0')
            return perr(ps, line, "NUL byte in input (column %zu)", i - col0 + 1);
        if (c == '\n' || c == '\r') {
            i += (c == '\r' && i + 1 < ps->len && ps->text[i + 1] == '\n') ? 2 : 1;
            line++;
            col0 = i;
            continue;
        }
        size_t k = utf8_seq(ps->text + i, ps->len - i);
        if (k == 0)
            return perr(ps, line, "invalid UTF-8 (byte 0x%02x at column %zu)", c, i - col0 + 1);
        i += k;
    }
    return SL_OK;
}

static inline bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\f'; }

/* Consumes one line terminator at pos ("\r\n", "\r" or "\n"). */
static void eat_eol(parser_t *ps, uint8_t c)
{
    if (c == '\r' && ps->pos < ps->len && ps->text[ps->pos] == '\n')
        ps->pos++;
    ps->line++;
}

/* Reads the next logical line into lbuf (Java's LineReader). Returns false at
 * the end of input. */
static bool read_logical_line(parser_t *ps)
{
    bool skip_ws = true, appended_begin = false;
    bool comment = false, backslash = false;
    sl_buf_reset(&ps->lbuf);
    sl_buf_reset(&ps->brks);
    ps->lline = ps->line;
    for (;;) {
        if (ps->pos == ps->len) {
            if (ps->lbuf.len == 0 || comment)
                return false;
            if (backslash)
                ps->lbuf.len--;
            return true;
        }
        uint8_t c = ps->text[ps->pos++];
        bool eol = c == '\n' || c == '\r';
        if (skip_ws) {
            if (is_ws(c))
                continue;
            if (!appended_begin && eol) {
                eat_eol(ps, c);
                continue;
            }
            skip_ws = false;
            appended_begin = false;
        }
        /* As in current JDKs, a comment can start wherever the logical line
         * is still empty, even after a continuation of a lone backslash. */
        if (!comment && ps->lbuf.len == 0) {
            ps->lline = ps->line;
            if (c == '#' || c == '!') {
                comment = true;
                continue;
            }
        }
        if (!eol) {
            if (!comment) {
                sl_buf_put_u8(&ps->lbuf, c);
                backslash = c == '\\' ? !backslash : false;
            }
            continue;
        }
        eat_eol(ps, c);
        if (comment || ps->lbuf.len == 0) {
            comment = false;
            skip_ws = true;
            backslash = false;
            sl_buf_reset(&ps->lbuf);
            sl_buf_reset(&ps->brks);
            continue;
        }
        if (!backslash)
            return true;
        /* Continuation: drop the backslash, join the next line. */
        ps->lbuf.len--;
        backslash = false;
        skip_ws = true;
        appended_begin = true;
        brk_t b = {ps->lbuf.len, ps->line};
        sl_buf_put(&ps->brks, &b, sizeof(b));
    }
}

/* Natural line of logical-line offset off. */
static int line_at(const parser_t *ps, size_t off)
{
    int line = ps->lline;
    const brk_t *b = (const brk_t *)ps->brks.data;
    size_t n = ps->brks.len / sizeof(brk_t);
    for (size_t i = 0; i < n && b[i].off <= off; i++)
        line = b[i].line;
    return line;
}

static void put_utf8(sl_buf_t *out, uint32_t cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp; n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6); b[1] = (uint8_t)(0x80 | (cp & 0x3f)); n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12); b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp & 0x3f)); n = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | cp >> 18); b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)); b[3] = (uint8_t)(0x80 | (cp & 0x3f)); n = 4;
    }
    sl_buf_put(out, b, n);
}

/* Reads the four hex digits of a \u escape whose 'u' is at s[*i - 1],
 * within s[..end). On error reports what was found, whole UTF-8 characters
 * only. */
static sl_err_t read_u4(parser_t *ps, const uint8_t *s, size_t end, size_t *i, uint32_t *cu)
{
    size_t start = *i;
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        if (start + (size_t)k >= end || sl_hex_value(s[start + k]) < 0) {
            /* Show up to four characters after \u as they stand in the
             * line (a key's escape may run into the separator). */
            size_t lend = ps->lbuf.len, j = start, chars = 0;
            while (j < lend && chars < 4) {
                size_t step = utf8_seq(s + j, lend - j);
                j += step ? step : 1;
                chars++;
            }
            int line = line_at(ps, start - 2);
            if (chars < 4)
                return perr(ps, line, "malformed \\uXXXX escape: found \"\\u%.*s\" at end of line",
                            (int)(j - start), (const char *)s + start);
            return perr(ps, line, "malformed \\uXXXX escape: found \"\\u%.*s\"",
                        (int)(j - start), (const char *)s + start);
        }
        v = (v << 4) | (uint32_t)sl_hex_value(s[start + k]);
    }
    *i = start + 4;
    *cu = v;
    return SL_OK;
}

/* Java's loadConvert over lbuf[from..end) into ps->out, NUL-terminated. */
static sl_err_t convert(parser_t *ps, size_t from, size_t end)
{
    const uint8_t *s = ps->lbuf.data;
    sl_buf_reset(&ps->out);
    size_t i = from;
    while (i < end) {
        uint8_t c = s[i++];
        if (c != '\\') {
            sl_buf_put_u8(&ps->out, c);
            continue;
        }
        if (i == end) /* cannot happen: odd trailing backslashes were removed */
            break;
        c = s[i++];
        switch (c) {
        case 't': sl_buf_put_u8(&ps->out, '\t'); continue;
        case 'n': sl_buf_put_u8(&ps->out, '\n'); continue;
        case 'r': sl_buf_put_u8(&ps->out, '\r'); continue;
        case 'f': sl_buf_put_u8(&ps->out, '\f'); continue;
        case 'u': break;
        default: sl_buf_put_u8(&ps->out, c); continue;
        }
        size_t esc = i - 2;
        uint32_t cu;
        sl_err_t err = read_u4(ps, s, end, &i, &cu);
        if (err)
            return err;
        if (cu == 0)
            return perr(ps, line_at(ps, esc), "\\u0000 (NUL) is not allowed");
        if (cu >= 0xdc00 && cu <= 0xdfff)
            return perr(ps, line_at(ps, esc), "unpaired surrogate \\u%04X (a low surrogate must follow a high one)", cu);
        if (cu >= 0xd800 && cu <= 0xdbff) {
            uint32_t lo = 0;
            if (i + 1 < end && s[i] == '\\' && s[i + 1] == 'u') {
                i += 2;
                err = read_u4(ps, s, end, &i, &lo);
                if (err)
                    return err;
            }
            if (lo < 0xdc00 || lo > 0xdfff)
                return perr(ps, line_at(ps, esc),
                            "unpaired surrogate \\u%04X (a high surrogate must be followed by a \\uDC00-\\uDFFF escape)", cu);
            cu = 0x10000 + ((cu - 0xd800) << 10) + (lo - 0xdc00);
        }
        put_utf8(&ps->out, cu);
    }
    sl_buf_put_u8(&ps->out, '\0');
    return sl_buf_err(&ps->out);
}

/* Splits the logical line into key and value (Java's load0) and stores them. */
static sl_err_t parse_line(parser_t *ps, sl_props_t *props)
{
    const uint8_t *s = ps->lbuf.data;
    size_t limit = ps->lbuf.len;
    size_t key_len = 0, value_start = limit;
    bool has_sep = false, backslash = false;
    while (key_len < limit) {
        uint8_t c = s[key_len];
        if ((c == '=' || c == ':') && !backslash) {
            value_start = key_len + 1;
            has_sep = true;
            break;
        }
        if (is_ws(c) && !backslash) {
            value_start = key_len + 1;
            break;
        }
        backslash = c == '\\' ? !backslash : false;
        key_len++;
    }
    while (value_start < limit) {
        uint8_t c = s[value_start];
        if (!is_ws(c)) {
            if (!has_sep && (c == '=' || c == ':'))
                has_sep = true;
            else
                break;
        }
        value_start++;
    }
    sl_err_t err = convert(ps, 0, key_len);
    if (err)
        return err;
    char *key = (char *)sl_buf_detach(&ps->out, NULL);
    err = convert(ps, value_start, limit);
    if (!err)
        err = sl_props_set(props, key, (const char *)ps->out.data, ps->lline);
    free(key);
    return err;
}

sl_err_t sl_props_parse(const char *text, size_t len, const char *origin,
                        sl_props_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (!origin)
        origin = "";
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (len > PROPS_MAX_INPUT) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: input is %zu bytes, more than the %zu MiB allowed",
                     origin, len, PROPS_MAX_INPUT >> 20);
        return SL_ERR_CONFIG;
    }
    parser_t ps = {
        .text = (const uint8_t *)text, .len = len, .line = 1,
        .origin = origin, .errbuf = errbuf, .errlen = errlen,
    };
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        ps.pos = 3;
    sl_buf_init(&ps.lbuf);
    sl_buf_init(&ps.brks);
    sl_buf_init(&ps.out);
    sl_props_t *props = props_new_origin(origin);
    sl_err_t err = props ? check_text(&ps) : SL_ERR_NOMEM;
    while (!err && read_logical_line(&ps)) {
        err = sl_buf_err(&ps.lbuf) ? sl_buf_err(&ps.lbuf) : sl_buf_err(&ps.brks);
        if (!err)
            err = parse_line(&ps, props);
    }
    if (!err)
        err = sl_buf_err(&ps.lbuf) ? sl_buf_err(&ps.lbuf) : sl_buf_err(&ps.brks);
    sl_buf_free(&ps.lbuf);
    sl_buf_free(&ps.brks);
    sl_buf_free(&ps.out);
    if (err) {
        if (err == SL_ERR_NOMEM && errbuf && errlen)
            snprintf(errbuf, errlen, "%s: out of memory", origin);
        sl_props_free(props);
        return err;
    }
    *out = props;
    return SL_OK;
}

sl_err_t sl_props_load(const char *path, sl_props_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return SL_ERR_IO;
    }
    /* Read to the end rather than trusting st_size (pipes, /proc); stop one
     * byte past the limit to know the file is too big. */
    size_t cap = 4096, len = 0;
    char *data = malloc(cap);
    sl_err_t err = data ? SL_OK : SL_ERR_NOMEM;
    while (!err) {
        if (len == cap) {
            if (cap > PROPS_MAX_INPUT)
                break;
            size_t ncap = SL_MIN(cap * 2, PROPS_MAX_INPUT + 1);
            char *nd = realloc(data, ncap);
            if (!nd) {
                err = SL_ERR_NOMEM;
                break;
            }
            data = nd;
            cap = ncap;
        }
        ssize_t r = read(fd, data + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errbuf && errlen)
                snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
            err = SL_ERR_IO;
        } else if (r == 0) {
            break;
        } else {
            len += (size_t)r;
        }
    }
    close(fd);
    if (!err && len > PROPS_MAX_INPUT) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: file is larger than %zu MiB; refusing to read it",
                     path, PROPS_MAX_INPUT >> 20);
        err = SL_ERR_CONFIG;
    }
    if (err == SL_ERR_NOMEM && errbuf && errlen)
        snprintf(errbuf, errlen, "%s: out of memory", path);
    if (!err)
        err = sl_props_parse(data, len, path, out, errbuf, errlen);
    free(data);
    return err;
}
