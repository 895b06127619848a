/*
 * conf.c - the client's configuration: the table of Kafka-named keys with
 * the Java client's (Kafka 3.4) defaults, value checks at set time, and the
 * parsed view (sl_cl_conf_t) with the checks that look at several keys
 * together (idempotence against acks, retries and in-flight requests;
 * delivery.timeout.ms against linger.ms and request.timeout.ms).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core_int.h"

typedef enum conf_type {
    CT_INT,     /* int32 within [min, max] */
    CT_LONG,    /* int64 within [min, max] */
    CT_BOOL,    /* true / false, any case */
    CT_STRING,  /* any text; default NULL means "no value" */
    CT_WORD,    /* one of words ("a|b|c") */
    CT_LIST,    /* comma-separated items of words */
    CT_ACKS,    /* all, -1, 0, 1 */
    CT_SERVERS, /* host:port list */
} conf_type_t;

typedef struct conf_key {
    const char *name;
    conf_type_t type;
    const char *def;        /* default as text; NULL: none */
    int64_t min, max;
    const char *words;      /* CT_WORD / CT_LIST */
} conf_key_t;

#define I32MAX INT32_MAX
static const conf_key_t conf_keys[] = {
    /* common */
    {"bootstrap.servers", CT_SERVERS, "localhost:9092", 0, 0, NULL},
    {"client.id", CT_STRING, "sluice", 0, 0, NULL},
    {"request.timeout.ms", CT_INT, "30000", 0, I32MAX, NULL},
    {"retry.backoff.ms", CT_INT, "100", 0, I32MAX, NULL},
    {"reconnect.backoff.ms", CT_INT, "50", 0, I32MAX, NULL},
    {"reconnect.backoff.max.ms", CT_INT, "1000", 0, I32MAX, NULL},
    {"socket.connection.setup.timeout.ms", CT_INT, "10000", 0, I32MAX, NULL},
    {"metadata.max.age.ms", CT_INT, "300000", 0, I32MAX, NULL},
    {"receive.message.max.bytes", CT_INT, "104857600", 1000, I32MAX, NULL},
    /* producer */
    {"acks", CT_ACKS, "all", 0, 0, NULL},
    {"linger.ms", CT_INT, "0", 0, I32MAX, NULL},
    {"batch.size", CT_INT, "16384", 0, I32MAX, NULL},
    {"buffer.memory", CT_LONG, "33554432", 0, INT64_MAX, NULL},
    {"max.block.ms", CT_INT, "60000", 0, I32MAX, NULL},
    {"compression.type", CT_WORD, "none", 0, 0, "none|gzip|snappy|lz4|zstd"},
    {"enable.idempotence", CT_BOOL, "true", 0, 0, NULL},
    {"max.in.flight.requests.per.connection", CT_INT, "5", 1, I32MAX, NULL},
    {"retries", CT_INT, "2147483647", 0, I32MAX, NULL},
    {"delivery.timeout.ms", CT_INT, "120000", 0, I32MAX, NULL},
    {"max.request.size", CT_INT, "1048576", 0, I32MAX, NULL},
    {"partitioner.ignore.keys", CT_BOOL, "false", 0, 0, NULL},
    {"transactional.id", CT_STRING, NULL, 0, 0, NULL},
    {"transaction.timeout.ms", CT_INT, "60000", 0, I32MAX, NULL},
    /* consumer */
    {"group.id", CT_STRING, NULL, 0, 0, NULL},
    {"group.instance.id", CT_STRING, NULL, 0, 0, NULL},
    {"auto.offset.reset", CT_WORD, "latest", 0, 0, "latest|earliest|none"},
    {"enable.auto.commit", CT_BOOL, "true", 0, 0, NULL},
    {"auto.commit.interval.ms", CT_INT, "5000", 0, I32MAX, NULL},
    {"isolation.level", CT_WORD, "read_uncommitted", 0, 0, "read_uncommitted|read_committed"},
    {"session.timeout.ms", CT_INT, "45000", 1, I32MAX, NULL},
    {"heartbeat.interval.ms", CT_INT, "3000", 1, I32MAX, NULL},
    {"max.poll.interval.ms", CT_INT, "300000", 1, I32MAX, NULL},
    {"partition.assignment.strategy", CT_LIST, "range,cooperative-sticky", 0, 0,
     "range|roundrobin|sticky|cooperative-sticky"},
    {"fetch.min.bytes", CT_INT, "1", 0, I32MAX, NULL},
    {"fetch.max.wait.ms", CT_INT, "500", 0, I32MAX, NULL},
    {"fetch.max.bytes", CT_INT, "52428800", 0, I32MAX, NULL},
    {"max.partition.fetch.bytes", CT_INT, "1048576", 0, I32MAX, NULL},
    {"check.crcs", CT_BOOL, "true", 0, 0, NULL},
};
#define NKEYS SL_ARRAY_LEN(conf_keys)

struct sl_conf {
    char *val[NKEYS];   /* NULL: unset (the default applies) */
    bool set[NKEYS];    /* set explicitly, even to the default */
};

static int conf_find(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(conf_keys[i].name, key) == 0)
            return (int)i;
    return -1;
}

sl_conf_t *sl_conf_new(void)
{
    return calloc(1, sizeof(sl_conf_t));
}

void sl_conf_free(sl_conf_t *conf)
{
    if (!conf)
        return;
    for (size_t i = 0; i < NKEYS; i++)
        free(conf->val[i]);
    free(conf);
}

sl_conf_t *sl_conf_dup(const sl_conf_t *conf)
{
    sl_conf_t *c = sl_conf_new();
    if (!c)
        return NULL;
    for (size_t i = 0; i < NKEYS; i++) {
        c->set[i] = conf->set[i];
        if (conf->val[i] && !(c->val[i] = strdup(conf->val[i]))) {
            sl_conf_free(c);
            return NULL;
        }
    }
    return c;
}

/* s without leading and trailing blanks, as a (start, length) pair. */
static const char *trim(const char *s, size_t *len)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    *len = n;
    return s;
}

static bool parse_i64(const char *s, int64_t *out)
{
    size_t n;
    s = trim(s, &n);
    if (n == 0 || n > 24)
        return false;
    char tmp[32];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    size_t n;
    s = trim(s, &n);
    if (n == 4 && strncasecmp(s, "true", 4) == 0)
        *out = true;
    else if (n == 5 && strncasecmp(s, "false", 5) == 0)
        *out = false;
    else
        return false;
    return true;
}

/* The index of word s[0..n) in "a|b|c", or -1. */
static int word_index(const char *words, const char *s, size_t n)
{
    int i = 0;
    for (const char *w = words; *w; i++) {
        size_t wl = strcspn(w, "|");
        if (wl == n && strncasecmp(w, s, n) == 0)
            return i;
        w += wl;
        if (*w == '|')
            w++;
    }
    return -1;
}

static sl_err_t parse_acks(const char *s, int16_t *out)
{
    size_t n;
    s = trim(s, &n);
    if ((n == 3 && strncasecmp(s, "all", 3) == 0) || (n == 2 && strncmp(s, "-1", 2) == 0))
        *out = -1;
    else if (n == 1 && (s[0] == '0' || s[0] == '1'))
        *out = (int16_t)(s[0] - '0');
    else
        return SL_ERR_CONFIG;
    return SL_OK;
}

static void conf_errf(char *errbuf, size_t errlen, const char *fmt, ...) SL_PRINTF(3, 4);
static void conf_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static sl_err_t conf_check(const conf_key_t *k, const char *value, char *errbuf, size_t errlen)
{
    int64_t v;
    bool b;
    int16_t acks;
    size_t n;
    const char *s;
    switch (k->type) {
    case CT_INT:
    case CT_LONG:
        if (!parse_i64(value, &v)) {
            conf_errf(errbuf, errlen, "%s: \"%s\" is not an integer", k->name, value);
            return SL_ERR_CONFIG;
        }
        if (v < k->min || v > k->max) {
            conf_errf(errbuf, errlen, "%s: %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
                      k->name, v, k->min, k->max);
            return SL_ERR_CONFIG;
        }
        return SL_OK;
    case CT_BOOL:
        if (!parse_bool(value, &b)) {
            conf_errf(errbuf, errlen, "%s: \"%s\" is not true or false", k->name, value);
            return SL_ERR_CONFIG;
        }
        return SL_OK;
    case CT_STRING:
        return SL_OK;
    case CT_WORD:
        s = trim(value, &n);
        if (word_index(k->words, s, n) < 0) {
            conf_errf(errbuf, errlen, "%s: \"%s\" is not one of %s", k->name, value, k->words);
            return SL_ERR_CONFIG;
        }
        return SL_OK;
    case CT_LIST: {
        const char *p = value;
        size_t items = 0;
        for (;;) {
            size_t il = strcspn(p, ",");
            size_t tl;
            char item[64];
            snprintf(item, sizeof item, "%.*s", (int)SL_MIN(il, sizeof item - 1), p);
            const char *t = trim(item, &tl);
            if (tl > 0) {
                if (il >= sizeof item || word_index(k->words, t, tl) < 0) {
                    conf_errf(errbuf, errlen, "%s: \"%.*s\" is not one of %s", k->name, (int)il, p,
                              k->words);
                    return SL_ERR_CONFIG;
                }
                items++;
            }
            p += il;
            if (!*p)
                break;
            p++;
        }
        if (items == 0) {
            conf_errf(errbuf, errlen, "%s: the list is empty", k->name);
            return SL_ERR_CONFIG;
        }
        return SL_OK;
    }
    case CT_ACKS:
        if (parse_acks(value, &acks) != SL_OK) {
            conf_errf(errbuf, errlen, "%s: \"%s\" is not one of all, -1, 0, 1", k->name, value);
            return SL_ERR_CONFIG;
        }
        return SL_OK;
    case CT_SERVERS: {
        sl_cl_addr_t *addrs = NULL;
        size_t na = 0;
        sl_err_t err = sl_cl_bootstrap_parse(value, &addrs, &na, errbuf, errlen);
        free(addrs);
        return err;
    }
    }
    return SL_ERR_CONFIG;
}

sl_err_t sl_conf_set(sl_conf_t *conf, const char *key, const char *value, char *errbuf, size_t errlen)
{
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!conf || !key || !value) {
        conf_errf(errbuf, errlen, "configuration key or value missing");
        return SL_ERR_CONFIG;
    }
    int i = conf_find(key);
    if (i < 0) {
        conf_errf(errbuf, errlen, "unknown configuration key \"%s\"", key);
        return SL_ERR_CONFIG;
    }
    sl_err_t err = conf_check(&conf_keys[i], value, errbuf, errlen);
    if (err != SL_OK)
        return err;
    char *copy = strdup(value);
    if (!copy)
        return SL_ERR_NOMEM;
    free(conf->val[i]);
    conf->val[i] = copy;
    conf->set[i] = true;
    return SL_OK;
}

const char *sl_conf_get(const sl_conf_t *conf, const char *key)
{
    int i = conf && key ? conf_find(key) : -1;
    if (i < 0)
        return NULL;
    if (conf->val[i])
        return conf->val[i];
    return conf_keys[i].def;
}

/* ---- host:port lists ---------------------------------------------------- */

sl_err_t sl_cl_bootstrap_parse(const char *s, sl_cl_addr_t **out, size_t *n, char *errbuf,
                               size_t errlen)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    const char *p = s;
    for (;;) {
        size_t il = strcspn(p, ",");
        size_t tl;
        char item[SL_CL_HOST_MAX + 16];
        if (il >= sizeof item) {
            conf_errf(errbuf, errlen, "bootstrap.servers: \"%.*s...\" is too long", 32, p);
            goto fail;
        }
        memcpy(item, p, il);
        item[il] = '\0';
        const char *t = trim(item, &tl);
        if (tl > 0) {
            char ent[SL_CL_HOST_MAX + 16];
            memcpy(ent, t, tl);
            ent[tl] = '\0';
            const char *host = ent, *port_s;
            size_t hl;
            if (ent[0] == '[') {
                char *close = strchr(ent, ']');
                if (!close || close[1] != ':') {
                    conf_errf(errbuf, errlen, "bootstrap.servers: \"%s\" is not [ipv6]:port", ent);
                    goto fail;
                }
                host = ent + 1;
                hl = (size_t)(close - host);
                port_s = close + 2;
            } else {
                char *colon = strrchr(ent, ':');
                if (!colon || strchr(ent, ':') != colon) {
                    conf_errf(errbuf, errlen, "bootstrap.servers: \"%s\" is not host:port", ent);
                    goto fail;
                }
                hl = (size_t)(colon - ent);
                port_s = colon + 1;
            }
            int64_t port;
            if (hl == 0 || hl >= SL_CL_HOST_MAX || !parse_i64(port_s, &port) || port < 1 ||
                port > 65535 || isspace((unsigned char)*port_s)) {
                conf_errf(errbuf, errlen, "bootstrap.servers: \"%s\" is not host:port with a port in 1-65535",
                          ent);
                goto fail;
            }
            if (*n == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                sl_cl_addr_t *na = realloc(*out, ncap * sizeof *na);
                if (!na) {
                    free(*out);
                    *out = NULL;
                    *n = 0;
                    return SL_ERR_NOMEM;
                }
                *out = na;
                cap = ncap;
            }
            sl_cl_addr_t *a = &(*out)[(*n)++];
            memcpy(a->host, host, hl);
            a->host[hl] = '\0';
            a->port = (uint16_t)port;
        }
        p += il;
        if (!*p)
            break;
        p++;
    }
    if (*n == 0) {
        conf_errf(errbuf, errlen, "bootstrap.servers: no host:port given");
        goto fail;
    }
    return SL_OK;
fail:
    free(*out);
    *out = NULL;
    *n = 0;
    return SL_ERR_CONFIG;
}

/* ---- the parsed view ----------------------------------------------------- */

static const char *cget(const sl_conf_t *conf, const char *key)
{
    return sl_conf_get(conf, key);
}

static bool cset(const sl_conf_t *conf, const char *key)
{
    int i = conf_find(key);
    return i >= 0 && conf->set[i];
}

static int32_t cint(const sl_conf_t *conf, const char *key)
{
    int64_t v = 0;
    parse_i64(cget(conf, key), &v);
    return (int32_t)v;
}

static bool cbool(const sl_conf_t *conf, const char *key)
{
    bool b = false;
    parse_bool(cget(conf, key), &b);
    return b;
}

/* A trimmed copy of a string value, NULL when it has none or is empty. */
static sl_err_t cstr(const sl_conf_t *conf, const char *key, char **out)
{
    const char *v = cget(conf, key);
    *out = NULL;
    if (!v)
        return SL_OK;
    size_t n;
    v = trim(v, &n);
    if (n == 0)
        return SL_OK;
    *out = strndup(v, n);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

/* A list value without blanks: "range,cooperative-sticky". */
static sl_err_t clist(const sl_conf_t *conf, const char *key, char **out)
{
    const char *v = cget(conf, key);
    char *o = malloc(strlen(v) + 1);
    if (!o)
        return SL_ERR_NOMEM;
    size_t j = 0;
    for (const char *p = v; *p; p++) {
        if (isspace((unsigned char)*p))
            continue;
        if (*p == ',' && (j == 0 || o[j - 1] == ','))
            continue;
        o[j++] = (char)tolower((unsigned char)*p);
    }
    if (j > 0 && o[j - 1] == ',')
        j--;
    o[j] = '\0';
    *out = o;
    return SL_OK;
}

void sl_cl_conf_fini(sl_cl_conf_t *c)
{
    if (!c)
        return;
    free(c->bootstrap);
    free(c->client_id);
    free(c->transactional_id);
    free(c->group_id);
    free(c->group_instance_id);
    free(c->assignors);
    memset(c, 0, sizeof *c);
}

/* Idempotence as the Java 3.x producer decides it: on by default, turned off
 * silently by settings it cannot work with unless it was asked for. */
static sl_err_t conf_idempotence(const sl_conf_t *conf, sl_cl_conf_t *c, char *errbuf, size_t errlen)
{
    bool explicit_on = cset(conf, "enable.idempotence") && c->idempotence;
    const char *why = NULL;
    if (c->acks != -1)
        why = "acks must be all (-1)";
    else if (c->max_in_flight > 5)
        why = "max.in.flight.requests.per.connection must be at most 5";
    else if (c->retries == 0)
        why = "retries must be above 0";
    if (why && c->idempotence) {
        if (explicit_on || c->transactional_id) {
            conf_errf(errbuf, errlen, "%s: %s for an idempotent%s producer",
                      c->transactional_id ? "transactional.id" : "enable.idempotence", why,
                      c->transactional_id ? " (transactional)" : "");
            return SL_ERR_CONFIG;
        }
        c->idempotence = false;
    }
    if (c->transactional_id && !c->idempotence) {
        conf_errf(errbuf, errlen,
                  "transactional.id: a transactional producer needs enable.idempotence=true");
        return SL_ERR_CONFIG;
    }
    return SL_OK;
}

sl_err_t sl_cl_conf_parse(const sl_conf_t *conf, sl_cl_conf_t *out, char *errbuf, size_t errlen)
{
    sl_cl_conf_t c;
    memset(&c, 0, sizeof c);
    if (errbuf && errlen)
        errbuf[0] = '\0';
    sl_err_t err = SL_OK;
    if (!(c.bootstrap = strdup(cget(conf, "bootstrap.servers"))) ||
        !(c.client_id = strdup(cget(conf, "client.id")))) {
        err = SL_ERR_NOMEM;
        goto fail;
    }
    {
        sl_cl_addr_t *addrs;
        size_t na;
        if ((err = sl_cl_bootstrap_parse(c.bootstrap, &addrs, &na, errbuf, errlen)) != SL_OK)
            goto fail;
        free(addrs);
    }
    c.request_timeout_ms = cint(conf, "request.timeout.ms");
    c.retry_backoff_ms = cint(conf, "retry.backoff.ms");
    c.reconnect_backoff_ms = cint(conf, "reconnect.backoff.ms");
    c.reconnect_backoff_max_ms = cint(conf, "reconnect.backoff.max.ms");
    c.connect_timeout_ms = cint(conf, "socket.connection.setup.timeout.ms");
    c.metadata_max_age_ms = cint(conf, "metadata.max.age.ms");
    c.receive_max_bytes = cint(conf, "receive.message.max.bytes");

    parse_acks(cget(conf, "acks"), &c.acks);
    c.linger_ms = cint(conf, "linger.ms");
    c.batch_size = cint(conf, "batch.size");
    {
        int64_t v = 0;
        parse_i64(cget(conf, "buffer.memory"), &v);
        c.buffer_memory = v;
    }
    c.max_block_ms = cint(conf, "max.block.ms");
    {
        size_t n;
        const char *s = trim(cget(conf, "compression.type"), &n);
        char word[16];
        snprintf(word, sizeof word, "%.*s", (int)SL_MIN(n, sizeof word - 1), s);
        sl_compression_t codec = SL_COMPRESSION_NONE;
        sl_compression_parse(word, &codec);
        c.compression = (int)codec;
    }
    c.idempotence = cbool(conf, "enable.idempotence");
    c.max_in_flight = cint(conf, "max.in.flight.requests.per.connection");
    c.retries = cint(conf, "retries");
    c.delivery_timeout_ms = cint(conf, "delivery.timeout.ms");
    c.max_request_size = cint(conf, "max.request.size");
    c.partitioner_ignore_keys = cbool(conf, "partitioner.ignore.keys");
    if ((err = cstr(conf, "transactional.id", &c.transactional_id)) != SL_OK)
        goto fail;
    c.transaction_timeout_ms = cint(conf, "transaction.timeout.ms");

    if ((err = cstr(conf, "group.id", &c.group_id)) != SL_OK ||
        (err = cstr(conf, "group.instance.id", &c.group_instance_id)) != SL_OK ||
        (err = clist(conf, "partition.assignment.strategy", &c.assignors)) != SL_OK)
        goto fail;
    {
        size_t n;
        const char *s = trim(cget(conf, "auto.offset.reset"), &n);
        int w = word_index("latest|earliest|none", s, n);
        c.auto_offset_reset = w == 0 ? SL_OFFSET_END : w == 1 ? SL_OFFSET_BEGINNING : 0;
        s = trim(cget(conf, "isolation.level"), &n);
        c.read_committed = word_index("read_uncommitted|read_committed", s, n) == 1;
    }
    c.auto_commit = cbool(conf, "enable.auto.commit");
    c.check_crcs = cbool(conf, "check.crcs");
    c.auto_commit_interval_ms = cint(conf, "auto.commit.interval.ms");
    c.session_timeout_ms = cint(conf, "session.timeout.ms");
    c.heartbeat_interval_ms = cint(conf, "heartbeat.interval.ms");
    c.max_poll_interval_ms = cint(conf, "max.poll.interval.ms");
    c.fetch_min_bytes = cint(conf, "fetch.min.bytes");
    c.fetch_max_wait_ms = cint(conf, "fetch.max.wait.ms");
    c.fetch_max_bytes = cint(conf, "fetch.max.bytes");
    c.max_partition_fetch_bytes = cint(conf, "max.partition.fetch.bytes");

    if ((err = conf_idempotence(conf, &c, errbuf, errlen)) != SL_OK)
        goto fail;
    /* The Java producer's rule: a delivery timeout shorter than linger plus
     * one request is an error when set, and raised to that sum otherwise. */
    int64_t min_delivery = (int64_t)c.linger_ms + c.request_timeout_ms;
    if (c.delivery_timeout_ms < min_delivery) {
        if (cset(conf, "delivery.timeout.ms")) {
            conf_errf(errbuf, errlen,
                      "delivery.timeout.ms: %" PRId32 " is below linger.ms + request.timeout.ms (%" PRId64 ")",
                      c.delivery_timeout_ms, min_delivery);
            err = SL_ERR_CONFIG;
            goto fail;
        }
        c.delivery_timeout_ms = (int32_t)SL_MIN(min_delivery, (int64_t)INT32_MAX);
    }
    /* The Java consumer's Heartbeat refuses this pairing for group members. */
    if (c.group_id && c.heartbeat_interval_ms >= c.session_timeout_ms) {
        conf_errf(errbuf, errlen,
                  "heartbeat.interval.ms: %" PRId32 " must be below session.timeout.ms (%" PRId32 ")",
                  c.heartbeat_interval_ms, c.session_timeout_ms);
        err = SL_ERR_CONFIG;
        goto fail;
    }
    if (c.reconnect_backoff_max_ms < c.reconnect_backoff_ms)
        c.reconnect_backoff_max_ms = c.reconnect_backoff_ms;
    *out = c;
    return SL_OK;
fail:
    sl_cl_conf_fini(&c);
    return err;
}
