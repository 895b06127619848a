/*
 * xform.c - the transform chain of a connector (Kafka's `transforms` and
 * `predicates` keys: aliases, `transforms.<a>.type`, `.predicate`,
 * `.negate`, `predicates.<p>.type`, each alias's own keys), the lookup of
 * transforms and predicates by class name, their validation entries, and
 * the small helpers the transforms share (keys, lists, Java class names
 * for Kafka's sentences).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xform_int.h"

static const sl_xform_def_t *const defs[] = {
    &sl_xform_insert_key,     &sl_xform_insert_value,       &sl_xform_replace_key,
    &sl_xform_replace_value,  &sl_xform_mask_key,           &sl_xform_mask_value,
    &sl_xform_regex_router,   &sl_xform_timestamp_router,   &sl_xform_filter,
    &sl_xform_topic_name_matches, &sl_xform_has_header_key, &sl_xform_record_is_tombstone,
};
#define DEF_COUNT (sizeof(defs) / sizeof(defs[0]))

/* Whether name is def's short name or Kafka's full class name. */
static bool names(const sl_xform_def_t *def, const char *name)
{
    return strcmp(def->name, name) == 0 || strcmp(def->kafka_class, name) == 0;
}

const sl_xform_def_t *sl_xform_find(const char *name, bool predicate, const char **variants)
{
    if (variants)
        *variants = NULL;
    if (!name)
        return NULL;
    for (size_t i = 0; i < DEF_COUNT; i++)
        if (defs[i]->predicate == predicate && names(defs[i], name))
            return defs[i];
    /* "InsertField" alone names the abstract class of the two variants. */
    static const char *const both[][2] = {
        {"InsertField", SL_XFORM_PKG "InsertField$Key, " SL_XFORM_PKG "InsertField$Value"},
        {"ReplaceField", SL_XFORM_PKG "ReplaceField$Key, " SL_XFORM_PKG "ReplaceField$Value"},
        {"MaskField", SL_XFORM_PKG "MaskField$Key, " SL_XFORM_PKG "MaskField$Value"},
    };
    const char *base = strncmp(name, SL_XFORM_PKG, strlen(SL_XFORM_PKG)) == 0
                           ? name + strlen(SL_XFORM_PKG) : name;
    for (size_t i = 0; !predicate && variants && i < sizeof(both) / sizeof(both[0]); i++)
        if (strcmp(base, both[i][0]) == 0)
            *variants = both[i][1];
    return NULL;
}

const sl_xform_def_t *sl_xform_at(size_t i)
{
    return i < DEF_COUNT ? defs[i] : NULL;
}

/* ---- helpers ----------------------------------------------------------------- */

static const sl_xform_key_t *key_def(const sl_xform_def_t *def, const char *key)
{
    for (size_t i = 0; def && i < def->key_count; i++)
        if (strcmp(def->keys[i].name, key) == 0)
            return &def->keys[i];
    return NULL;
}

const char *sl_xform_get(const sl_xform_cfg_t *cfg, const char *key)
{
    char full[512];
    snprintf(full, sizeof(full), "%s%s", cfg->prefix, key);
    const char *v = sl_props_get(cfg->props, full);
    if (v)
        return v;
    const sl_xform_key_t *k = key_def(cfg->def, key);
    return k ? k->default_value : NULL;
}

sl_err_t sl_xform_bad(const sl_xform_cfg_t *cfg, const char *key, const char *value,
                      char *errbuf, size_t errlen, const char *why, ...)
{
    if (errbuf && errlen) {
        char reason[400];
        va_list ap;
        va_start(ap, why);
        vsnprintf(reason, sizeof(reason), why, ap);
        va_end(ap);
        snprintf(errbuf, errlen, "Invalid value %s for configuration %s%s: %s",
                 value ? value : "null", cfg->prefix, key, reason);
    }
    return SL_ERR_CONFIG;
}

sl_err_t sl_xform_list_parse(const char *text, sl_xform_list_t *out)
{
    out->items = NULL;
    out->count = 0;
    if (!text)
        return SL_OK;
    size_t len = strlen(text), slots = 1;
    for (size_t i = 0; i < len; i++)
        slots += text[i] == ',';
    /* One block: the pointers, then a copy of the text cut at the commas. */
    char **items = malloc(slots * sizeof(char *) + len + 1);
    if (!items)
        return SL_ERR_NOMEM;
    char *copy = (char *)(items + slots), *save = NULL;
    memcpy(copy, text, len + 1);
    size_t n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        size_t tl = strlen(tok);
        while (tl && isspace((unsigned char)tok[tl - 1]))
            tok[--tl] = '\0';
        if (tl)
            items[n++] = tok;
    }
    out->items = items;
    out->count = n;
    return SL_OK;
}

void sl_xform_list_free(sl_xform_list_t *l)
{
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

bool sl_xform_list_has(const sl_xform_list_t *l, const char *s, size_t len)
{
    for (size_t i = 0; i < l->count; i++)
        if (strlen(l->items[i]) == len && memcmp(l->items[i], s, len) == 0)
            return true;
    return false;
}

const char *sl_xform_java_class(const sl_cvalue_t *v)
{
    if (!v)
        return "null";
    switch (v->type) {
    case SL_CT_NULL: return "null";
    case SL_CT_BOOLEAN: return "java.lang.Boolean";
    case SL_CT_INT8: return "java.lang.Byte";
    case SL_CT_INT16: return "java.lang.Short";
    case SL_CT_INT32: return "java.lang.Integer";
    case SL_CT_INT64: return "java.lang.Long";
    case SL_CT_FLOAT32: return "java.lang.Float";
    case SL_CT_FLOAT64: return "java.lang.Double";
    case SL_CT_STRING: return "java.lang.String";
    case SL_CT_BYTES: return "[B";
    case SL_CT_ARRAY: return "java.util.ArrayList";
    case SL_CT_MAP: return "java.util.HashMap";
    case SL_CT_STRUCT: return "org.apache.kafka.connect.data.Struct";
    }
    return "?";
}

void sl_xform_side_get(const sl_connect_record_t *rec, sl_xform_side_t side,
                       const sl_cschema_t **schema, const sl_cvalue_t **value)
{
    bool key = side == SL_XFORM_KEY;
    *schema = key ? rec->key_schema : rec->value_schema;
    *value = key ? rec->key : rec->value;
    if (*value && (*value)->type == SL_CT_NULL)
        *value = NULL;
}

void sl_xform_side_set(sl_connect_record_t *rec, sl_xform_side_t side, const sl_cschema_t *schema,
                       const sl_cvalue_t *value)
{
    if (side == SL_XFORM_KEY) {
        rec->key_schema = schema;
        rec->key = value;
    } else {
        rec->value_schema = schema;
        rec->value = value;
    }
}

bool sl_xform_key_is(const sl_cvalue_t *key, const char *name, size_t len)
{
    return key && key->type == SL_CT_STRING && key->u.bytes.len == len &&
           memcmp(key->u.bytes.ptr, name, len) == 0;
}

/* ---- building the chain ----------------------------------------------------------- */

typedef struct xpred {
    const sl_xform_def_t *def;
    void *state;
    char *alias;
} xpred_t;

typedef struct xstep {
    const sl_xform_def_t *def;
    void *state;
    const xpred_t *pred;       /* NULL: always applies */
    bool negate;
} xstep_t;

struct sl_xform_chain {
    xstep_t *steps;
    size_t step_count;
    xpred_t *preds;
    size_t pred_count;
};

static void make_free(const sl_xform_def_t *def, void *state)
{
    if (def && def->free && state)
        def->free(state);
}

void sl_xform_chain_free(sl_xform_chain_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->step_count; i++)
        make_free(c->steps[i].def, c->steps[i].state);
    for (size_t i = 0; i < c->pred_count; i++) {
        make_free(c->preds[i].def, c->preds[i].state);
        free(c->preds[i].alias);
    }
    free(c->steps);
    free(c->preds);
    free(c);
}

static bool is_bool(const char *v)
{
    return strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0;
}

/* The aliases of `transforms` or `predicates`, refusing duplicates. */
static sl_err_t aliases(const sl_props_t *config, const char *key, sl_xform_list_t *out,
                        char *errbuf, size_t errlen)
{
    const char *text = sl_props_get(config, key);
    sl_err_t err = sl_xform_list_parse(text, out);
    if (err)
        return err;
    for (size_t i = 0; i < out->count; i++) {
        if (strlen(out->items[i]) > 200) {
            if (errbuf)
                snprintf(errbuf, errlen, "Invalid value %.40s... for configuration %s: an alias "
                         "is at most 200 characters", out->items[i], key);
            sl_xform_list_free(out);
            return SL_ERR_CONFIG;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(out->items[i], out->items[j]) == 0) {
                if (errbuf)
                    snprintf(errbuf, errlen, "Invalid value %s for configuration %s: Duplicate "
                             "alias provided.", text, key);
                sl_xform_list_free(out);
                return SL_ERR_CONFIG;
            }
    }
    return SL_OK;
}

/* The definition of prefix + "type", with Kafka's sentences for a missing,
 * unknown, wrong-kind or abstract class. */
static sl_err_t resolve_type(const sl_props_t *config, const char *prefix, bool predicate,
                             const sl_xform_def_t **out, char *errbuf, size_t errlen)
{
    char key[512];
    snprintf(key, sizeof(key), "%stype", prefix);
    const char *type = sl_props_get(config, key);
    const char *variants = NULL;
    *out = NULL;
    if (!type || !*type) {
        if (errbuf)
            snprintf(errbuf, errlen, "Missing required configuration \"%s\" which has no default "
                     "value.", key);
        return SL_ERR_CONFIG;
    }
    if ((*out = sl_xform_find(type, predicate, &variants)))
        return SL_OK;
    if (errbuf) {
        if (variants)
            snprintf(errbuf, errlen, "Invalid value %s for configuration %s: Transformation is "
                     "abstract and cannot be created. Did you mean %s?", type, key, variants);
        else if (sl_xform_find(type, !predicate, NULL))
            snprintf(errbuf, errlen, "Invalid value %s for configuration %s: Not a %s", type,
                     key, predicate ? "Predicate" : "Transformation");
        else
            snprintf(errbuf, errlen, "Invalid value %s for configuration %s: Class %s could not "
                     "be found.", type, key, type);
    }
    return SL_ERR_CONFIG;
}

/* Checks cfg against its definition's keys (required set, booleans
 * parse), then builds the state. */
static sl_err_t make_one(const sl_xform_cfg_t *cfg, void **state, char *errbuf, size_t errlen)
{
    *state = NULL;
    const sl_xform_def_t *def = cfg->def;
    for (size_t i = 0; i < def->key_count; i++) {
        const sl_xform_key_t *k = &def->keys[i];
        const char *v = sl_xform_get(cfg, k->name);
        if (!v && k->required) {
            if (errbuf)
                snprintf(errbuf, errlen, "Missing required configuration \"%s%s\" which has no "
                         "default value.", cfg->prefix, k->name);
            return SL_ERR_CONFIG;
        }
        if (v && k->type == SL_CFG_BOOLEAN && !is_bool(v))
            return sl_xform_bad(cfg, k->name, v, errbuf, errlen,
                                "Expected value to be either true or false");
    }
    return def->make ? def->make(cfg, state, errbuf, errlen) : SL_OK;
}

static sl_err_t build_preds(sl_xform_chain_t *c, const sl_props_t *config,
                            const sl_xform_list_t *names, char *errbuf, size_t errlen)
{
    if (names->count && !(c->preds = calloc(names->count, sizeof(*c->preds))))
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < names->count; i++) {
        xpred_t *p = &c->preds[c->pred_count];
        char prefix[300];
        snprintf(prefix, sizeof(prefix), "predicates.%s.", names->items[i]);
        sl_err_t err = resolve_type(config, prefix, true, &p->def, errbuf, errlen);
        if (err)
            return err;
        sl_xform_cfg_t cfg = {config, prefix, p->def};
        if ((err = make_one(&cfg, &p->state, errbuf, errlen)))
            return err;
        c->pred_count++;
        if (!(p->alias = strdup(names->items[i])))
            return SL_ERR_NOMEM;
    }
    return SL_OK;
}

static sl_err_t build_step(sl_xform_chain_t *c, const sl_props_t *config, const char *alias,
                           char *errbuf, size_t errlen)
{
    xstep_t *s = &c->steps[c->step_count];
    char prefix[300], pkey[320], nkey[320];
    snprintf(prefix, sizeof(prefix), "transforms.%s.", alias);
    snprintf(pkey, sizeof(pkey), "%spredicate", prefix);
    snprintf(nkey, sizeof(nkey), "%snegate", prefix);
    const char *pred = sl_props_get(config, pkey), *neg = sl_props_get(config, nkey);
    if (pred && !*pred)
        pred = NULL;
    if (neg && !pred) {
        if (errbuf)
            snprintf(errbuf, errlen, "Config '%s' was provided but there is no config '%s' "
                     "defining a predicate to be negated.", nkey, pkey);
        return SL_ERR_CONFIG;
    }
    if (neg && !is_bool(neg)) {
        if (errbuf)
            snprintf(errbuf, errlen, "Invalid value %s for configuration %s: Expected value to "
                     "be either true or false", neg, nkey);
        return SL_ERR_CONFIG;
    }
    for (size_t i = 0; pred && !s->pred && i < c->pred_count; i++)
        if (strcmp(c->preds[i].alias, pred) == 0)
            s->pred = &c->preds[i];
    if (pred && !s->pred) {
        if (errbuf)
            snprintf(errbuf, errlen, "Invalid value %s for configuration %s: no predicate of "
                     "that alias is listed in \"predicates\"", pred, pkey);
        return SL_ERR_CONFIG;
    }
    s->negate = neg && strcasecmp(neg, "true") == 0;
    sl_err_t err = resolve_type(config, prefix, false, &s->def, errbuf, errlen);
    if (err)
        return err;
    sl_xform_cfg_t cfg = {config, prefix, s->def};
    if ((err = make_one(&cfg, &s->state, errbuf, errlen)))
        return err;
    c->step_count++;
    return SL_OK;
}

sl_err_t sl_xform_chain_new(const sl_props_t *config, sl_xform_chain_t **out, char *errbuf,
                            size_t errlen)
{
    *out = NULL;
    sl_xform_list_t tn = {0}, pn = {0};
    sl_xform_chain_t *c = calloc(1, sizeof(*c));
    if (!c)
        return SL_ERR_NOMEM;
    sl_err_t err = aliases(config, "transforms", &tn, errbuf, errlen);
    if (!err)
        err = aliases(config, "predicates", &pn, errbuf, errlen);
    if (!err)
        err = build_preds(c, config, &pn, errbuf, errlen);
    if (!err && tn.count && !(c->steps = calloc(tn.count, sizeof(*c->steps))))
        err = SL_ERR_NOMEM;
    for (size_t i = 0; !err && i < tn.count; i++)
        err = build_step(c, config, tn.items[i], errbuf, errlen);
    sl_xform_list_free(&tn);
    sl_xform_list_free(&pn);
    if (err) {
        sl_xform_chain_free(c);
        return err;
    }
    *out = c;
    return SL_OK;
}

sl_err_t sl_xform_chain_apply(const sl_xform_chain_t *c, sl_connect_record_t *rec, bool sink,
                              sl_connect_mem_t *mem, bool *drop, const char **cls, char *reason,
                              size_t rlen)
{
    *drop = false;
    *cls = NULL;
    for (size_t i = 0; c && i < c->step_count; i++) {
        const xstep_t *s = &c->steps[i];
        if (s->pred && s->pred->def->test(s->pred->state, rec) == s->negate)
            continue;
        sl_err_t err = s->def->apply(s->state, rec, sink, mem, drop, reason, rlen);
        if (err) {
            *cls = s->def->kafka_class;
            return err;
        }
        if (*drop)
            return SL_OK;
    }
    return SL_OK;
}

/* ---- validation ---------------------------------------------------------------------- */

static char *arena_fmt(sl_arena_t *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *arena_fmt(sl_arena_t *arena, const char *fmt, ...)
{
    char tmp[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    return sl_arena_strndup(arena, tmp, strlen(tmp));
}

sl_connect_config_result_t *sl_xform_entry(const sl_props_t *config, sl_arena_t *arena,
                                           sl_connect_config_result_t **out, size_t *n,
                                           size_t *cap, const sl_xform_key_t *k, const char *key,
                                           const char *type, const char *group)
{
    /* config.c's entry, told that an optional key without a default is
     * not required (its definitions cannot say so). */
    sl_connect_configdef_t d = {key, k->type, k->required ? NULL
                                              : k->default_value ? k->default_value : "",
                                k->importance, k->doc};
    if (sl_connect_config_result_add(&d, group, config, arena, out, n, cap))
        return NULL;
    sl_connect_config_result_t *r = &(*out)[*n - 1];
    if (!k->required && !k->default_value) {
        r->default_value = NULL;
        if (!sl_props_get(config, key))
            r->value = NULL;
    }
    if (type)
        r->type = type;
    return r;
}

typedef struct vctx {
    const sl_props_t *config;
    sl_arena_t *arena;
    sl_connect_config_result_t **out;
    size_t *n, *cap;
} vctx_t;

static sl_connect_config_result_t *entry(vctx_t *v, const sl_xform_key_t *k, const char *key,
                                         const char *type, const char *group)
{
    return sl_xform_entry(v->config, v->arena, v->out, v->n, v->cap, k, key, type, group);
}

/* The entries of one alias: its type, the implicit predicate/negate of a
 * transform, then its definition's keys; the first error found by building
 * it goes on the entry it names (else on the type). */
static sl_err_t validate_alias(vctx_t *v, const char *alias, bool predicate)
{
    const char *kind = predicate ? "predicates" : "transforms";
    char prefix[300], key[400];
    snprintf(prefix, sizeof(prefix), "%s.%s.", kind, alias);
    const char *group = arena_fmt(v->arena, "%s: %s", predicate ? "Predicates" : "Transforms",
                                  alias);
    snprintf(key, sizeof(key), "%stype", prefix);
    const char *doc = arena_fmt(v->arena, "Class for the '%s' %s.", alias,
                                predicate ? "predicate" : "transformation");
    if (!group || !doc)
        return SL_ERR_NOMEM;
    size_t first = *v->n;
    const sl_xform_key_t type_key = {"type", SL_CFG_STRING, NULL, true, SL_IMPORTANCE_HIGH, doc};
    if (!entry(v, &type_key, key, "CLASS", group))
        return SL_ERR_NOMEM;
    static const sl_xform_key_t implicit[2] = {
        {"predicate", SL_CFG_STRING, "", false, SL_IMPORTANCE_MEDIUM,
         "The alias of a predicate used to determine whether to apply this transformation."},
        {"negate", SL_CFG_BOOLEAN, "false", false, SL_IMPORTANCE_MEDIUM,
         "Whether the configured predicate should be negated."},
    };
    for (int i = 0; !predicate && i < 2; i++) {
        snprintf(key, sizeof(key), "%s%s", prefix, implicit[i].name);
        if (!entry(v, &implicit[i], key, NULL, group))
            return SL_ERR_NOMEM;
    }
    char ebuf[512] = "";
    const sl_xform_def_t *def = NULL;
    sl_err_t err = resolve_type(v->config, prefix, predicate, &def, ebuf, sizeof(ebuf));
    for (size_t i = 0; def && i < def->key_count; i++) {
        const sl_xform_key_t *k = &def->keys[i];
        snprintf(key, sizeof(key), "%s%s", prefix, k->name);
        if (!entry(v, k, key, NULL, group))
            return SL_ERR_NOMEM;
    }
    if (def && !err) {
        /* Build it alone (predicates resolve only when checking the whole
         * chain, so a transform's predicate reference is checked there). */
        void *state = NULL;
        sl_xform_cfg_t cfg = {v->config, prefix, def};
        err = make_one(&cfg, &state, ebuf, sizeof(ebuf));
        make_free(def, state);
    }
    if (err == SL_ERR_NOMEM)
        return err;
    if (!err)
        return SL_OK;
    /* The entry whose key the sentence names, else the type's (unless
     * config.c's check told the same already). */
    sl_connect_config_result_t *target = &(*v->out)[first];
    size_t best = 0;
    for (size_t i = first; i < *v->n; i++) {
        const char *name = (*v->out)[i].name;
        size_t len = strlen(name);
        const char *at = strstr(ebuf, name);
        if (at && !isalnum((unsigned char)at[len]) && at[len] != '.' && len > best) {
            target = &(*v->out)[i];
            best = len;
        }
    }
    return target->error_count ? SL_OK : sl_connect_config_result_error(target, v->arena, ebuf);
}

sl_err_t sl_xform_chain_validate(const sl_props_t *config, sl_arena_t *arena,
                                 sl_connect_config_result_t **out, size_t *n, size_t *cap)
{
    vctx_t v = {config, arena, out, n, cap};
    static const sl_xform_key_t lists[2] = {
        {"transforms", SL_CFG_LIST, "", false, SL_IMPORTANCE_LOW,
         "Aliases for the transformations to be applied to records."},
        {"predicates", SL_CFG_LIST, "", false, SL_IMPORTANCE_LOW,
         "Aliases for the predicates used by transformations."},
    };
    static const char *const groups[2] = {"Transforms", "Predicates"};
    sl_xform_list_t names[2] = {{0}, {0}};
    sl_err_t err = SL_OK;
    for (int i = 0; i < 2 && !err; i++) {
        sl_connect_config_result_t *r = entry(&v, &lists[i], lists[i].name, NULL, groups[i]);
        char ebuf[512];
        if (!r)
            err = SL_ERR_NOMEM;
        else if ((err = aliases(config, lists[i].name, &names[i], ebuf, sizeof(ebuf))) ==
                 SL_ERR_CONFIG)
            err = sl_connect_config_result_error(r, arena, ebuf);
    }
    for (size_t i = 0; !err && i < names[0].count; i++)
        err = validate_alias(&v, names[0].items[i], false);
    for (size_t i = 0; !err && i < names[1].count; i++)
        err = validate_alias(&v, names[1].items[i], true);
    /* The chain as a whole: predicate references and negate. */
    if (!err && names[0].count) {
        sl_xform_chain_t *c = NULL;
        char ebuf[512] = "";
        sl_err_t cerr = sl_xform_chain_new(config, &c, ebuf, sizeof(ebuf));
        sl_xform_chain_free(c);
        if (cerr == SL_ERR_NOMEM)
            err = cerr;
        for (size_t i = 0; cerr == SL_ERR_CONFIG && !err && i < *n; i++) {
            const char *name = (*out)[i].name;
            bool implicit = strncmp(name, "transforms.", 11) == 0 &&
                            (strstr(name, ".predicate") || strstr(name, ".negate"));
            if (implicit && strstr(ebuf, name) && !(*out)[i].error_count) {
                err = sl_connect_config_result_error(&(*out)[i], arena, ebuf);
                break;
            }
        }
    }
    sl_xform_list_free(&names[0]);
    sl_xform_list_free(&names[1]);
    return err;
}
