/*
 * config.c - connector configs checked against a plugin's definitions
 * (Kafka's ConfigDef): required keys, types, defaults filled in.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connect_int.h"

static const char *type_word(sl_connect_cfgtype_t t)
{
    switch (t) {
    case SL_CFG_STRING: return "a string";
    case SL_CFG_INT: return "a 32-bit integer";
    case SL_CFG_LONG: return "a 64-bit integer";
    case SL_CFG_DOUBLE: return "a number";
    case SL_CFG_BOOLEAN: return "true or false";
    case SL_CFG_LIST: return "a comma-separated list";
    case SL_CFG_PASSWORD: return "a password";
    }
    return "?";
}

/* Whether text is a valid value of type t. */
static bool value_ok(sl_connect_cfgtype_t t, const char *text)
{
    char *end;
    errno = 0;
    switch (t) {
    case SL_CFG_STRING:
    case SL_CFG_PASSWORD:
        return true;
    case SL_CFG_INT: {
        long long v = strtoll(text, &end, 10);
        return *text && !*end && errno == 0 && v >= INT32_MIN && v <= INT32_MAX;
    }
    case SL_CFG_LONG:
        (void)strtoll(text, &end, 10);
        return *text && !*end && errno == 0;
    case SL_CFG_DOUBLE:
        (void)strtod(text, &end);
        return *text && !*end && errno == 0;
    case SL_CFG_BOOLEAN:
        return strcasecmp(text, "true") == 0 || strcasecmp(text, "false") == 0;
    case SL_CFG_LIST: {
        /* Items are trimmed; an empty item ("a,,b", "a,") is a mistake. */
        if (!*text)
            return true;
        const char *p = text;
        for (;;) {
            const char *comma = strchr(p, ',');
            const char *e = comma ? comma : p + strlen(p);
            bool empty = true;
            for (const char *q = p; q < e; q++)
                if (!isspace((unsigned char)*q))
                    empty = false;
            if (empty)
                return false;
            if (!comma)
                return true;
            p = comma + 1;
        }
    }
    }
    return false;
}

bool sl_connect_config_check(const sl_connect_configdef_t *d, const char *v, char *errbuf,
                             size_t errlen)
{
    if (!v && !d->default_value) {
        if (errbuf)
            snprintf(errbuf, errlen, "Missing required configuration \"%s\" which has no "
                     "default value (%s)", d->name, d->doc ? d->doc : "");
        return false;
    }
    if (v && !d->default_value && !*v && d->type != SL_CFG_LIST) {
        if (errbuf)
            snprintf(errbuf, errlen, "Invalid value \"\" for configuration %s: required, "
                     "must not be empty", d->name);
        return false;
    }
    if (v && !value_ok(d->type, v)) {
        if (errbuf)
            snprintf(errbuf, errlen, "Invalid value %s for configuration %s: must be %s",
                     d->type == SL_CFG_PASSWORD ? "[hidden]" : v, d->name, type_word(d->type));
        return false;
    }
    return true;
}

sl_err_t sl_connect_config_validate(const sl_connect_configdef_t *defs, size_t n,
                                    const sl_props_t *config, sl_props_t **resolved,
                                    char *errbuf, size_t errlen)
{
    if (resolved)
        *resolved = NULL;
    for (size_t i = 0; i < n; i++)
        if (!sl_connect_config_check(&defs[i], sl_props_get(config, defs[i].name), errbuf, errlen))
            return SL_ERR_CONFIG;
    if (!resolved)
        return SL_OK;
    sl_props_t *out = sl_props_new();
    if (!out)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < sl_props_count(config); i++) {
        const char *k, *v;
        int line;
        sl_props_at(config, i, &k, &v, &line);
        if (sl_props_set(out, k, v, line))
            goto nomem;
    }
    for (size_t i = 0; i < n; i++)
        if (!sl_props_get(out, defs[i].name) && sl_props_set(out, defs[i].name,
                                                              defs[i].default_value, 0))
            goto nomem;
    *resolved = out;
    return SL_OK;
nomem:
    sl_props_free(out);
    return SL_ERR_NOMEM;
}

const char *sl_connect_cfgtype_name(sl_connect_cfgtype_t type)
{
    switch (type) {
    case SL_CFG_STRING: return "STRING";
    case SL_CFG_INT: return "INT";
    case SL_CFG_LONG: return "LONG";
    case SL_CFG_DOUBLE: return "DOUBLE";
    case SL_CFG_BOOLEAN: return "BOOLEAN";
    case SL_CFG_LIST: return "LIST";
    case SL_CFG_PASSWORD: return "PASSWORD";
    }
    return "STRING";
}

const char *sl_connect_importance_name(sl_connect_importance_t imp)
{
    switch (imp) {
    case SL_IMPORTANCE_HIGH: return "HIGH";
    case SL_IMPORTANCE_MEDIUM: return "MEDIUM";
    case SL_IMPORTANCE_LOW: return "LOW";
    }
    return "LOW";
}

static const char *arena_str(sl_arena_t *arena, const char *s)
{
    return s ? sl_arena_strndup(arena, s, strlen(s)) : NULL;
}

sl_err_t sl_connect_config_result_add(const sl_connect_configdef_t *d, const char *group,
                                      const sl_props_t *config, sl_arena_t *arena,
                                      sl_connect_config_result_t **out, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        sl_connect_config_result_t *grown = sl_arena_calloc(arena, ncap, sizeof(*grown));
        if (!grown)
            return SL_ERR_NOMEM;
        if (*n)
            memcpy(grown, *out, *n * sizeof(*grown));
        *out = grown;
        *cap = ncap;
    }
    const char *given = sl_props_get(config, d->name);
    sl_connect_config_result_t *r = &(*out)[*n];
    memset(r, 0, sizeof(*r));
    r->name = arena_str(arena, d->name);
    r->type = sl_connect_cfgtype_name(d->type);
    r->required = d->default_value == NULL;
    r->default_value = arena_str(arena, d->default_value);
    r->importance = sl_connect_importance_name(d->importance);
    r->doc = arena_str(arena, d->doc ? d->doc : "");
    r->group = group;
    /* Passwords are never echoed (Kafka shows "[hidden]"). */
    r->value = arena_str(arena, given && d->type == SL_CFG_PASSWORD ? "[hidden]" :
                         given ? given : d->default_value);
    if (!r->name || !r->doc || (given && !r->value))
        return SL_ERR_NOMEM;
    (*n)++;
    char why[512];
    if (!sl_connect_config_check(d, given, why, sizeof(why)))
        return sl_connect_config_result_error(r, arena, why);
    return SL_OK;
}

sl_err_t sl_connect_config_result_error(sl_connect_config_result_t *r, sl_arena_t *arena,
                                        const char *sentence)
{
    const char **errs = sl_arena_calloc(arena, r->error_count + 1, sizeof(*errs));
    const char *copy = arena_str(arena, sentence);
    if (!errs || !copy)
        return SL_ERR_NOMEM;
    if (r->error_count)
        memcpy(errs, r->errors, r->error_count * sizeof(*errs));
    errs[r->error_count++] = copy;
    r->errors = errs;
    return SL_OK;
}

sl_err_t sl_connect_props_int(const sl_props_t *props, const char *key, int64_t def, int64_t min,
                              int64_t max, int64_t *out, char *errbuf, size_t errlen)
{
    const char *v = sl_props_get(props, key);
    *out = def;
    if (!v)
        return SL_OK;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno || n < min || n > max) {
        if (errbuf)
            snprintf(errbuf, errlen, "Invalid value %s for configuration %s: must be a whole "
                     "number from %lld to %lld", v, key, (long long)min, (long long)max);
        return SL_ERR_CONFIG;
    }
    *out = n;
    return SL_OK;
}

const char *sl_connect_common_error(const char *key, const sl_props_t *config,
                                    const sl_connect_plugin_t *plugin, bool eos_enabled,
                                    bool txn_store, char *why, size_t len)
{
    const char *v = sl_props_get(config, key);
    bool sink = plugin->kind == SL_CONNECT_SINK;
    if (strcmp(key, "tasks.max") == 0) {
        int64_t n;
        return sl_connect_props_int(config, key, 1, 1, 256, &n, why, len) ? why : NULL;
    }
    if (strcmp(key, "topics") == 0 && sink) {
        if (v && v[strspn(v, " ,\t")])
            return NULL;
        snprintf(why, len, "a sink needs \"topics\" (a comma-separated list; topics.regex is "
                 "not supported)");
        return why;
    }
    if (strcmp(key, "header.converter") == 0 && v && *v) {
        static const char *const ok[] = {
            "org.apache.kafka.connect.storage.SimpleHeaderConverter", "SimpleHeaderConverter",
            "org.apache.kafka.connect.converters.ByteArrayConverter", "ByteArrayConverter",
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
            if (strcmp(v, ok[i]) == 0)
                return NULL;
        snprintf(why, len, "Invalid value %s for configuration header.converter: Sluice passes "
                 "header values as bytes (SimpleHeaderConverter or ByteArrayConverter)", v);
        return why;
    }
    if (strcmp(key, "exactly.once.support") == 0 && v && *v && !sink) {
        bool req = strcasecmp(v, "required") == 0;
        if (!req && strcasecmp(v, "requested") != 0)
            snprintf(why, len, "Invalid value %s for configuration exactly.once.support: must "
                     "be requested or required", v);
        else if (req && !plugin->exactly_once)
            snprintf(why, len, "exactly.once.support=required, but the connector does not "
                     "support exactly-once delivery");
        else if (req && !eos_enabled)
            snprintf(why, len, "exactly.once.support=required, but the worker's "
                     "exactly.once.source.support is not enabled");
        else if (req && !txn_store)
            snprintf(why, len, "exactly.once.support=required, but the offset store cannot take "
                     "part in transactions (standalone mode; exactly-once sources need "
                     "distributed mode)");
        else
            return NULL;
        return why;
    }
    if (strcmp(key, "transaction.boundary") == 0 && v && !sink && strcasecmp(v, "poll") != 0) {
        snprintf(why, len, "Invalid value %s for configuration transaction.boundary: only poll "
                 "is supported", v);
        return why;
    }
    return NULL;
}
