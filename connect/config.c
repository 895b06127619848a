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

sl_err_t sl_connect_config_validate(const sl_connect_configdef_t *defs, size_t n,
                                    const sl_props_t *config, sl_props_t **resolved,
                                    char *errbuf, size_t errlen)
{
    if (resolved)
        *resolved = NULL;
    for (size_t i = 0; i < n; i++) {
        const sl_connect_configdef_t *d = &defs[i];
        const char *v = sl_props_get(config, d->name);
        if (!v && !d->default_value) {
            if (errbuf)
                snprintf(errbuf, errlen, "Missing required configuration \"%s\" which has no "
                         "default value (%s)", d->name, d->doc ? d->doc : "");
            return SL_ERR_CONFIG;
        }
        if (v && !d->default_value && !*v && d->type != SL_CFG_LIST) {
            if (errbuf)
                snprintf(errbuf, errlen, "Invalid value \"\" for configuration %s: required, "
                         "must not be empty", d->name);
            return SL_ERR_CONFIG;
        }
        if (v && !value_ok(d->type, v)) {
            if (errbuf)
                snprintf(errbuf, errlen, "Invalid value %s for configuration %s: must be %s",
                         d->type == SL_CFG_PASSWORD ? "[hidden]" : v, d->name,
                         type_word(d->type));
            return SL_ERR_CONFIG;
        }
    }
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
