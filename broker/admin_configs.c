/*
 * admin_configs.c - DescribeConfigs, AlterConfigs and IncrementalAlterConfigs
 * for TOPIC and BROKER resources.
 *
 * Topic configs are the registry's overrides (broker_int.h) described and
 * checked by the config module (config.h); a change builds the topic's new
 * override set, checks every value, and unless validate_only hands it to
 * sl_broker_topic_set_config, which persists it and applies it to every
 * partition's log under the documented locks. Broker configs are static
 * (server.properties and --override): they are described, never altered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"

/* ---- shared ------------------------------------------------------------ */

/* Finds resources named twice (same type and name) in linear time. */
typedef struct res_counts {
    sl_map_t map; /* type byte + name -> (void *)(uintptr_t)count */
} res_counts_t;

static sl_err_t res_key(sl_arena_t *arena, int8_t type, sl_kstr_t name, uint8_t **key, size_t *klen)
{
    size_t n = name.len > 0 ? (size_t)name.len : 0;
    uint8_t *k = sl_arena_alloc(arena, n + 2);
    if (!k)
        return SL_ERR_NOMEM;
    k[0] = (uint8_t)type;
    k[1] = name.len < 0; /* null and "" are different resources */
    if (n)
        memcpy(k + 2, name.ptr, n);
    *key = k;
    *klen = n + 2;
    return SL_OK;
}

static sl_err_t res_counts_add(res_counts_t *rc, sl_arena_t *arena, int8_t type, sl_kstr_t name)
{
    uint8_t *k;
    size_t kl;
    sl_err_t err = res_key(arena, type, name, &k, &kl);
    if (err)
        return err;
    uintptr_t c = (uintptr_t)sl_map_get(&rc->map, k, kl);
    return sl_map_put(&rc->map, k, kl, (void *)(c + 1), NULL);
}

static bool res_counts_repeated(const res_counts_t *rc, sl_arena_t *arena, int8_t type, sl_kstr_t name)
{
    uint8_t *k;
    size_t kl;
    if (res_key(arena, type, name, &k, &kl))
        return false;
    return (uintptr_t)sl_map_get(&rc->map, k, kl) > 1;
}

/* true when two entries of names[0..n) (kstr at stride bytes) are equal;
 * n is bounded by the frame, so a map keeps it linear. */
static sl_err_t has_repeated_names(const void *base, int32_t n, size_t stride, bool *repeated)
{
    sl_map_t seen;
    sl_map_init(&seen);
    sl_err_t err = SL_OK;
    *repeated = false;
    for (int32_t i = 0; i < n && !err && !*repeated; i++) {
        const sl_kstr_t *name = (const sl_kstr_t *)((const char *)base + (size_t)i * stride);
        size_t len = name->len > 0 ? (size_t)name->len : 0;
        if (sl_map_has(&seen, name->ptr ? name->ptr : "", len))
            *repeated = true;
        else
            err = sl_map_put(&seen, name->ptr ? name->ptr : "", len, NULL, NULL);
    }
    sl_map_fini(&seen, NULL);
    return err;
}

/* A NUL-terminated copy of s in arena; INVALID_CONFIG (msg says so) when s
 * holds a NUL byte, which the C string would silently cut. */
static sl_err_t cstr(sl_arena_t *arena, sl_kstr_t s, char **out, char *msg, size_t n)
{
    char *c = sl_kstr_dup(arena, s);
    if (!c)
        return SL_ERR_NOMEM;
    if (strlen(c) != (size_t)s.len) {
        char q[200];
        snprintf(msg, n, "Invalid NUL byte in config %s", sl_admin_quote(q, sizeof q, s, 120));
        return SL_ERR_INVALID_CONFIG;
    }
    *out = c;
    return SL_OK;
}

static const char *unknown_type_msg(char *buf, size_t n, int8_t type)
{
    snprintf(buf, n, "Unknown resource type %d", (int)type);
    return buf;
}

/* ---- DescribeConfigs --------------------------------------------------- */

typedef struct desc_fill {
    sl_arena_t *arena;
    int16_t version;
    const sl_DescribeConfigsRequest_t *req;
    const sl_map_t *want;         /* names asked for; NULL: every config */
    sl_DescribeConfigsResponse_DescribeConfigsResourceResult_t *items; /* NULL: count only */
    int32_t n;
    bool nomem;
} desc_fill_t;

/* The ConfigurationKeys filter as a set (a request may name many keys). */
static sl_err_t want_build(const sl_kstr_array_t *keys, sl_map_t *want)
{
    sl_map_init(want);
    for (int32_t i = 0; i < keys->count; i++) {
        sl_kstr_t k = keys->items[i];
        sl_err_t err = sl_map_put(want, k.ptr ? k.ptr : "", (size_t)SL_MAX(k.len, 0), NULL, NULL);
        if (err)
            return err;
    }
    return SL_OK;
}

static sl_kstr_t dup_or_flag(desc_fill_t *f, const char *s)
{
    sl_kstr_t k = sl_admin_str(f->arena, s);
    if (s && k.len < 0)
        f->nomem = true;
    return k;
}

static void desc_fill_synonyms(desc_fill_t *f, const sl_config_entry_t *e, bool is_topic,
                               sl_DescribeConfigsResponse_DescribeConfigsResourceResult_t *c)
{
    sl_DescribeConfigsResponse_DescribeConfigsSynonym_t syn[2];
    int ns = 0;
    /* Kafka lists the sources a value could come from, most specific first:
     * the topic's override, then the server key behind it; for a server key,
     * the key itself when it has a value. */
    bool self = is_topic ? e->source == SL_CFG_SRC_DYNAMIC_TOPIC : (e->value || e->source != SL_CFG_SRC_DEFAULT);
    if (self) {
        sl_DescribeConfigsResponse_DescribeConfigsSynonym_init(&syn[ns]);
        syn[ns].Name = dup_or_flag(f, e->name);
        syn[ns].Value = e->sensitive ? sl_kstr_null() : dup_or_flag(f, e->value);
        syn[ns].Source = (int8_t)e->source;
        ns++;
    }
    if (e->synonym_name && (e->synonym_value || e->synonym_source != SL_CFG_SRC_DEFAULT) &&
        strcmp(e->synonym_name, e->name) != 0) {
        sl_DescribeConfigsResponse_DescribeConfigsSynonym_init(&syn[ns]);
        syn[ns].Name = dup_or_flag(f, e->synonym_name);
        syn[ns].Value = e->sensitive ? sl_kstr_null() : dup_or_flag(f, e->synonym_value);
        syn[ns].Source = (int8_t)e->synonym_source;
        ns++;
    }
    if (ns == 0)
        return;
    c->Synonyms.items = sl_arena_memdup(f->arena, syn, (size_t)ns * sizeof syn[0]);
    if (!c->Synonyms.items) {
        f->nomem = true;
        return;
    }
    c->Synonyms.count = ns;
}

static void desc_fill_entry(desc_fill_t *f, const sl_config_entry_t *e, bool is_topic)
{
    if (f->want && !sl_map_has(f->want, e->name, strlen(e->name)))
        return;
    if (f->items) {
        sl_DescribeConfigsResponse_DescribeConfigsResourceResult_t *c = &f->items[f->n];
        sl_DescribeConfigsResponse_DescribeConfigsResourceResult_init(c);
        c->Name = dup_or_flag(f, e->name);
        c->Value = e->sensitive ? sl_kstr_null() : dup_or_flag(f, e->value);
        c->ReadOnly = e->read_only;
        if (f->version == 0)
            c->IsDefault = e->source == SL_CFG_SRC_DEFAULT;
        c->ConfigSource = (int8_t)e->source;
        c->IsSensitive = e->sensitive;
        if (f->version >= 1 && f->req->IncludeSynonyms)
            desc_fill_synonyms(f, e, is_topic, c);
        c->ConfigType = (int8_t)e->type;
        c->Documentation = f->version >= 3 && f->req->IncludeDocumentation ? dup_or_flag(f, e->doc)
                                                                            : sl_kstr_null();
    }
    f->n++;
}

static void desc_visit_topic(void *arg, const sl_config_entry_t *e) { desc_fill_entry(arg, e, true); }
static void desc_visit_broker(void *arg, const sl_config_entry_t *e) { desc_fill_entry(arg, e, false); }

/* Runs the describe twice: once to count, once to fill arena entries. */
static sl_err_t describe_into(sl_broker_t *broker, desc_fill_t *f, const sl_props_t *overrides, bool is_topic,
                              sl_DescribeConfigsResponse_DescribeConfigsResult_t *r)
{
    void (*visit)(void *, const sl_config_entry_t *) = is_topic ? desc_visit_topic : desc_visit_broker;
    f->items = NULL;
    f->n = 0;
    if (is_topic)
        sl_topic_config_describe(broker->cfg, overrides, visit, f);
    else
        sl_broker_config_describe(broker->cfg, visit, f);
    int32_t n = f->n;
    f->items = sl_arena_calloc(f->arena, n ? (size_t)n : 1, sizeof *f->items);
    if (!f->items)
        return SL_ERR_NOMEM;
    f->n = 0;
    if (is_topic)
        sl_topic_config_describe(broker->cfg, overrides, visit, f);
    else
        sl_broker_config_describe(broker->cfg, visit, f);
    if (f->nomem || f->n != n)
        return SL_ERR_NOMEM;
    r->Configs.items = f->items;
    r->Configs.count = n;
    return SL_OK;
}

/* Fills r->Configs for one resource, or returns its error (msg says why). */
static sl_err_t describe_resource(sl_broker_t *broker, const sl_DescribeConfigsRequest_DescribeConfigsResource_t *res,
                                  desc_fill_t *f, sl_DescribeConfigsResponse_DescribeConfigsResult_t *r, char *msg,
                                  size_t n)
{
    char q[300];
    sl_err_t err;
    switch (res->ResourceType) {
    case SL_ADMIN_RES_TOPIC: {
        sl_kstr_t name = res->ResourceName;
        if ((err = sl_topic_name_check(name.ptr, (size_t)SL_MAX(name.len, 0), msg, n)) != SL_OK)
            return err;
        sl_topic_t *topic = sl_broker_topic_get(broker, name.ptr, (size_t)name.len);
        if (!topic) {
            snprintf(msg, n, "The topic '%s' does not exist.", sl_admin_quote(q, sizeof q, name, 249));
            return SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        }
        sl_props_t *ov = sl_topic_overrides_dup(broker, topic);
        sl_topic_unref(topic);
        if (!ov)
            return SL_ERR_NOMEM;
        err = describe_into(broker, f, ov, true, r);
        sl_props_free(ov);
        return err;
    }
    case SL_ADMIN_RES_BROKER: {
        bool is_default;
        if (!sl_admin_broker_name_ok(broker, res->ResourceName, &is_default, msg, n))
            return SL_ERR_INVALID_REQUEST;
        /* "" names the cluster-wide dynamic defaults, of which Sluice has
         * none: an empty list, as Kafka answers without dynamic configs. */
        if (is_default)
            return SL_OK;
        return describe_into(broker, f, NULL, false, r);
    }
    case SL_ADMIN_RES_BROKER_LOGGER:
        snprintf(msg, n, "Broker logger configs are not supported by this broker.");
        return SL_ERR_INVALID_REQUEST;
    default:
        snprintf(msg, n, "Unsupported resource type: %d", (int)res->ResourceType);
        return SL_ERR_INVALID_REQUEST;
    }
}

static sl_err_t describe_one(sl_broker_t *broker, int16_t version, const sl_DescribeConfigsRequest_t *req,
                             const sl_DescribeConfigsRequest_DescribeConfigsResource_t *res, sl_arena_t *arena,
                             sl_DescribeConfigsResponse_DescribeConfigsResult_t *r)
{
    char msg[512] = "";
    sl_err_t err;
    desc_fill_t f = {.arena = arena, .version = version, .req = req};
    sl_map_t want;
    if (res->ConfigurationKeys.count >= 0) {
        if ((err = want_build(&res->ConfigurationKeys, &want)) != SL_OK) {
            sl_map_fini(&want, NULL);
            return err;
        }
        f.want = &want;
    }
    err = describe_resource(broker, res, &f, r, msg, sizeof msg);
    if (f.want)
        sl_map_fini(&want, NULL);
    if (err == SL_ERR_NOMEM)
        return err;
    if (err) {
        r->Configs.count = 0;
        r->ErrorCode = sl_err_wire(err);
        r->ErrorMessage = sl_admin_msg(arena, "%s", sl_admin_why(err, msg));
    }
    return SL_OK;
}

sl_err_t sl_broker_admin_describe_configs(sl_broker_t *broker, int16_t version, const sl_DescribeConfigsRequest_t *req,
                                   sl_arena_t *arena, sl_DescribeConfigsResponse_t *resp)
{
    sl_DescribeConfigsResponse_init(resp);
    int32_t n = SL_MAX(req->Resources.count, 0);
    resp->Results.items = sl_arena_calloc(arena, n ? (size_t)n : 1, sizeof *resp->Results.items);
    if (!resp->Results.items)
        return SL_ERR_NOMEM;
    resp->Results.count = n;
    for (int32_t i = 0; i < n; i++) {
        const sl_DescribeConfigsRequest_DescribeConfigsResource_t *res = &req->Resources.items[i];
        sl_DescribeConfigsResponse_DescribeConfigsResult_t *r = &resp->Results.items[i];
        sl_DescribeConfigsResponse_DescribeConfigsResult_init(r);
        r->ResourceType = res->ResourceType;
        r->ResourceName = res->ResourceName;
        r->ErrorMessage = sl_kstr_null();
        sl_err_t err = describe_one(broker, version, req, res, arena, r);
        if (err)
            return err;
    }
    return SL_OK;
}

/* ---- the new override set of a topic ----------------------------------- */

/* A topic's overrides being edited: key/value C strings in the arena. */
typedef struct ov_set {
    char **keys;
    char **vals;   /* NULL value: deleted */
    int32_t n, cap;
} ov_set_t;

static sl_err_t ov_init(ov_set_t *s, sl_arena_t *arena, const sl_props_t *from, int32_t extra)
{
    int32_t have = from ? (int32_t)sl_props_count(from) : 0;
    s->cap = have + SL_MAX(extra, 0);
    s->n = 0;
    s->keys = sl_arena_calloc(arena, (size_t)(s->cap ? s->cap : 1), sizeof *s->keys);
    s->vals = sl_arena_calloc(arena, (size_t)(s->cap ? s->cap : 1), sizeof *s->vals);
    if (!s->keys || !s->vals)
        return SL_ERR_NOMEM;
    for (int32_t i = 0; i < have; i++) {
        const char *k, *v;
        sl_props_at(from, (size_t)i, &k, &v, NULL);
        s->keys[s->n] = sl_arena_strndup(arena, k, strlen(k));
        s->vals[s->n] = sl_arena_strndup(arena, v, strlen(v));
        if (!s->keys[s->n] || !s->vals[s->n])
            return SL_ERR_NOMEM;
        s->n++;
    }
    return SL_OK;
}

static int32_t ov_find(const ov_set_t *s, const char *key)
{
    for (int32_t i = 0; i < s->n; i++)
        if (s->vals[i] && strcmp(s->keys[i], key) == 0)
            return i;
    return -1;
}

/* Sets key (kept, arena) to val (kept, arena; NULL deletes). */
static void ov_set(ov_set_t *s, char *key, char *val)
{
    int32_t i = ov_find(s, key);
    if (i >= 0) {
        s->vals[i] = val;
    } else if (val && s->n < s->cap) {
        s->keys[s->n] = key;
        s->vals[s->n] = val;
        s->n++;
    }
}

/* Checks every value of the set and the rules between keys (INVALID_CONFIG,
 * msg says which and why) and builds the props to store, values in the
 * config module's canonical form. */
static sl_err_t ov_build(sl_broker_t *broker, const ov_set_t *s, sl_props_t **out, char *msg, size_t n)
{
    *out = NULL;
    sl_props_t *props = sl_props_new();
    if (!props)
        return SL_ERR_NOMEM;
    sl_err_t err = SL_OK;
    for (int32_t i = 0; i < s->n && !err; i++) {
        if (!s->vals[i])
            continue;
        char *canon = NULL;
        err = sl_topic_config_canon(s->keys[i], s->vals[i], &canon, msg, n);
        if (!err)
            err = sl_props_set(props, s->keys[i], canon, 0);
        free(canon);
    }
    if (!err)
        err = sl_topic_config_check_all(broker->cfg, props, msg, n);
    if (err) {
        sl_props_free(props);
        return err;
    }
    *out = props;
    return SL_OK;
}

/* Stores the new overrides of a topic (or only checks them). */
static sl_err_t ov_apply(sl_broker_t *broker, sl_kstr_t topic, const ov_set_t *s, bool validate_only, char *msg,
                         size_t n)
{
    sl_props_t *props;
    sl_err_t err = ov_build(broker, s, &props, msg, n);
    if (err)
        return err;
    if (!validate_only)
        err = sl_broker_topic_set_config(broker, topic.ptr, (size_t)topic.len, props, msg, n);
    sl_props_free(props);
    return err;
}

static sl_err_t topic_must_exist(sl_broker_t *broker, sl_kstr_t name, sl_props_t **overrides, char *msg, size_t n)
{
    char q[300];
    sl_topic_t *topic = name.len >= 0 ? sl_broker_topic_get(broker, name.ptr, (size_t)name.len) : NULL;
    if (!topic) {
        snprintf(msg, n, "The topic '%s' does not exist.", sl_admin_quote(q, sizeof q, name, 249));
        return SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    sl_err_t err = SL_OK;
    if (overrides && !(*overrides = sl_topic_overrides_dup(broker, topic)))
        err = SL_ERR_NOMEM;
    sl_topic_unref(topic);
    return err;
}

/* A broker resource can be named but never altered: its configs are
 * static. msg lists the keys, as Kafka does for its static keys. */
static sl_err_t broker_alter(sl_broker_t *broker, sl_kstr_t name, const void *base, int32_t count, size_t stride,
                             char *msg, size_t n)
{
    bool is_default;
    if (!sl_admin_broker_name_ok(broker, name, &is_default, msg, n))
        return SL_ERR_INVALID_REQUEST;
    if (count <= 0)
        return SL_OK;
    size_t o = (size_t)snprintf(msg, n, "Cannot update these configs dynamically: ");
    for (int32_t i = 0; i < count && o < n; i++) {
        char q[200];
        const sl_kstr_t *k = (const sl_kstr_t *)((const char *)base + (size_t)i * stride);
        int w = snprintf(msg + o, n - o, "%s%s", i ? ", " : "", sl_admin_quote(q, sizeof q, *k, 120));
        o += w > 0 ? (size_t)w : 0;
    }
    if (o < n)
        snprintf(msg + o, n - o, " (the broker's settings are static: change server.properties and restart)");
    return SL_ERR_INVALID_REQUEST;
}

/* ---- AlterConfigs ------------------------------------------------------ */

static sl_err_t alter_topic(sl_broker_t *broker, const sl_AlterConfigsRequest_AlterConfigsResource_t *res,
                            bool validate_only, sl_arena_t *arena, char *msg, size_t n)
{
    sl_err_t err = topic_must_exist(broker, res->ResourceName, NULL, msg, n);
    if (err)
        return err;
    ov_set_t s;
    if ((err = ov_init(&s, arena, NULL, res->Configs.count)) != SL_OK)
        return err;
    for (int32_t i = 0; i < res->Configs.count; i++) {
        char *k, *v;
        if ((err = cstr(arena, res->Configs.items[i].Name, &k, msg, n)) ||
            (err = cstr(arena, res->Configs.items[i].Value, &v, msg, n)))
            return err;
        ov_set(&s, k, v);
    }
    return ov_apply(broker, res->ResourceName, &s, validate_only, msg, n);
}

static sl_err_t alter_one(sl_broker_t *broker, const sl_AlterConfigsRequest_AlterConfigsResource_t *res,
                          bool validate_only, sl_arena_t *arena, char *msg, size_t n)
{
    bool repeated;
    sl_err_t err = has_repeated_names(res->Configs.items, SL_MAX(res->Configs.count, 0),
                                      sizeof res->Configs.items[0], &repeated);
    if (err)
        return err;
    if (repeated) {
        snprintf(msg, n, "Error due to duplicate config keys");
        return SL_ERR_INVALID_REQUEST;
    }
    size_t o = 0;
    for (int32_t i = 0; i < res->Configs.count; i++) {
        if (res->Configs.items[i].Value.len >= 0)
            continue;
        char q[200];
        int w = snprintf(msg + o, n - o, "%s%s", o ? ", " : "Null value not supported for : ",
                         sl_admin_quote(q, sizeof q, res->Configs.items[i].Name, 120));
        if (w > 0 && (size_t)w < n - o)
            o += (size_t)w;
    }
    if (o)
        return SL_ERR_INVALID_REQUEST;
    switch (res->ResourceType) {
    case SL_ADMIN_RES_TOPIC:
        return alter_topic(broker, res, validate_only, arena, msg, n);
    case SL_ADMIN_RES_BROKER:
        return broker_alter(broker, res->ResourceName, res->Configs.items, res->Configs.count,
                            sizeof res->Configs.items[0], msg, n);
    default:
        unknown_type_msg(msg, n, res->ResourceType);
        return SL_ERR_INVALID_REQUEST;
    }
}

sl_err_t sl_broker_admin_alter_configs(sl_broker_t *broker, int16_t version, const sl_AlterConfigsRequest_t *req,
                                sl_arena_t *arena, sl_AlterConfigsResponse_t *resp)
{
    SL_UNUSED(version);
    sl_AlterConfigsResponse_init(resp);
    int32_t n = SL_MAX(req->Resources.count, 0);
    resp->Responses.items = sl_arena_calloc(arena, n ? (size_t)n : 1, sizeof *resp->Responses.items);
    if (!resp->Responses.items)
        return SL_ERR_NOMEM;
    resp->Responses.count = n;
    res_counts_t rc;
    sl_map_init(&rc.map);
    sl_err_t err = SL_OK;
    for (int32_t i = 0; i < n && !err; i++)
        err = res_counts_add(&rc, arena, req->Resources.items[i].ResourceType, req->Resources.items[i].ResourceName);
    for (int32_t i = 0; i < n && !err; i++) {
        const sl_AlterConfigsRequest_AlterConfigsResource_t *res = &req->Resources.items[i];
        sl_AlterConfigsResponse_AlterConfigsResourceResponse_t *r = &resp->Responses.items[i];
        sl_AlterConfigsResponse_AlterConfigsResourceResponse_init(r);
        r->ResourceType = res->ResourceType;
        r->ResourceName = res->ResourceName;
        r->ErrorMessage = sl_kstr_null();
        char msg[1024] = "";
        sl_err_t rerr;
        if (res_counts_repeated(&rc, arena, res->ResourceType, res->ResourceName)) {
            rerr = SL_ERR_INVALID_REQUEST;
            snprintf(msg, sizeof msg, "Each resource must appear at most once.");
        } else {
            rerr = alter_one(broker, res, req->ValidateOnly, arena, msg, sizeof msg);
        }
        if (rerr == SL_ERR_NOMEM)
            err = rerr;
        else if (rerr) {
            r->ErrorCode = sl_err_wire(rerr);
            r->ErrorMessage = sl_admin_msg(arena, "%s", sl_admin_why(rerr, msg));
        }
    }
    sl_map_fini(&rc.map, NULL);
    return err;
}

/* ---- IncrementalAlterConfigs ------------------------------------------- */

/* What the config module says about one topic key: its type and the value
 * a topic without an override gets. */
typedef struct key_info {
    const char *name;
    bool found;
    sl_cfg_type_t type;
    char value[1024];
} key_info_t;

static void key_info_visit(void *arg, const sl_config_entry_t *e)
{
    key_info_t *ki = arg;
    if (ki->found || strcmp(e->name, ki->name) != 0)
        return;
    ki->found = true;
    ki->type = e->type;
    snprintf(ki->value, sizeof ki->value, "%s", e->value ? e->value : "");
}

/* Appends the items of list (comma separated, blanks around items ignored,
 * empty items dropped) to items[] (arena copies); at most max. */
static int32_t split_items(sl_arena_t *arena, const char *list, char **items, int32_t have, int32_t max)
{
    const char *p = list;
    while (p && *p && have < max) {
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        const char *b = p;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > b) {
            char *it = sl_arena_strndup(arena, b, (size_t)(e - b));
            if (!it)
                return -1;
            items[have++] = it;
        }
        p = comma ? comma + 1 : NULL;
    }
    return have;
}

static bool in_items(char **items, int32_t n, const char *s)
{
    for (int32_t i = 0; i < n; i++)
        if (items[i] && strcmp(items[i], s) == 0)
            return true;
    return false;
}

/* APPEND adds the items not there yet (Kafka 3.4 would add duplicates;
 * later versions do not); SUBTRACT removes every item given. The old list
 * is the override, else what the server gives the topic. */
static sl_err_t list_op(sl_broker_t *broker, ov_set_t *s, char *key, int8_t op, sl_kstr_t value, sl_arena_t *arena,
                        char *msg, size_t n)
{
    key_info_t ki = {.name = key};
    sl_topic_config_describe(broker->cfg, NULL, key_info_visit, &ki);
    if (!ki.found) {
        char q[200];
        snprintf(msg, n, "Unknown topic config name: %s", sl_admin_quote(q, sizeof q, sl_kstr(key), 120));
        return SL_ERR_INVALID_CONFIG;
    }
    if (ki.type != SL_CFG_LIST) {
        snprintf(msg, n, "Config value %s is not allowed for config key: %s",
                 op == SL_ADMIN_OP_APPEND ? "append" : "subtract", key);
        return SL_ERR_INVALID_REQUEST;
    }
    char *val;
    sl_err_t err = cstr(arena, value, &val, msg, n);
    if (err)
        return err;
    int32_t i = ov_find(s, key);
    const char *old = i >= 0 ? s->vals[i] : ki.value;
    /* Every item takes at least one byte of old or val. */
    int32_t max = (int32_t)(strlen(old) + strlen(val) + 1);
    char **items = sl_arena_calloc(arena, (size_t)max, sizeof *items);
    char **given = sl_arena_calloc(arena, (size_t)max, sizeof *given);
    if (!items || !given)
        return SL_ERR_NOMEM;
    int32_t nitems = split_items(arena, old, items, 0, max);
    int32_t ngiven = split_items(arena, val, given, 0, max);
    if (nitems < 0 || ngiven < 0)
        return SL_ERR_NOMEM;
    if (op == SL_ADMIN_OP_APPEND) {
        for (int32_t g = 0; g < ngiven; g++)
            if (!in_items(items, nitems, given[g]) && nitems < max)
                items[nitems++] = given[g];
    } else {
        for (int32_t k = 0; k < nitems; k++)
            if (in_items(given, ngiven, items[k]))
                items[k] = NULL;
    }
    sl_buf_t b = SL_BUF_INIT;
    bool first = true;
    for (int32_t k = 0; k < nitems; k++) {
        if (!items[k])
            continue;
        if (!first)
            sl_buf_put_u8(&b, ',');
        sl_buf_put(&b, items[k], strlen(items[k]));
        first = false;
    }
    char *joined = sl_buf_err(&b) ? NULL : sl_arena_strndup(arena, b.data ? (const char *)b.data : "", b.len);
    sl_buf_free(&b);
    if (!joined)
        return SL_ERR_NOMEM;
    ov_set(s, key, joined);
    return SL_OK;
}

static sl_err_t incremental_topic(sl_broker_t *broker,
                                  const sl_IncrementalAlterConfigsRequest_AlterConfigsResource_t *res,
                                  bool validate_only, sl_arena_t *arena, char *msg, size_t n)
{
    sl_props_t *current = NULL;
    sl_err_t err = topic_must_exist(broker, res->ResourceName, &current, msg, n);
    if (err)
        return err;
    ov_set_t s;
    err = ov_init(&s, arena, current, res->Configs.count);
    sl_props_free(current);
    if (err)
        return err;
    for (int32_t i = 0; i < res->Configs.count; i++) {
        const sl_IncrementalAlterConfigsRequest_AlterableConfig_t *c = &res->Configs.items[i];
        char *key, *val;
        if ((err = cstr(arena, c->Name, &key, msg, n)))
            return err;
        switch (c->ConfigOperation) {
        case SL_ADMIN_OP_SET:
            if ((err = cstr(arena, c->Value, &val, msg, n)))
                return err;
            ov_set(&s, key, val);
            break;
        case SL_ADMIN_OP_DELETE:
            ov_set(&s, key, NULL);
            break;
        default: /* APPEND, SUBTRACT: checked before */
            if ((err = list_op(broker, &s, key, c->ConfigOperation, c->Value, arena, msg, n)))
                return err;
            break;
        }
    }
    return ov_apply(broker, res->ResourceName, &s, validate_only, msg, n);
}

static sl_err_t incremental_one(sl_broker_t *broker,
                                const sl_IncrementalAlterConfigsRequest_AlterConfigsResource_t *res,
                                bool validate_only, sl_arena_t *arena, char *msg, size_t n)
{
    bool repeated;
    sl_err_t err = has_repeated_names(res->Configs.items, SL_MAX(res->Configs.count, 0),
                                      sizeof res->Configs.items[0], &repeated);
    if (err)
        return err;
    if (repeated) {
        snprintf(msg, n, "Error due to duplicate config keys");
        return SL_ERR_INVALID_REQUEST;
    }
    size_t o = 0;
    for (int32_t i = 0; i < res->Configs.count; i++) {
        const sl_IncrementalAlterConfigsRequest_AlterableConfig_t *c = &res->Configs.items[i];
        if (c->ConfigOperation < SL_ADMIN_OP_SET || c->ConfigOperation > SL_ADMIN_OP_SUBTRACT) {
            snprintf(msg, n, "Unknown operations type %d", (int)c->ConfigOperation);
            return SL_ERR_INVALID_REQUEST;
        }
        if (c->ConfigOperation == SL_ADMIN_OP_DELETE || c->Value.len >= 0)
            continue;
        char q[200];
        int w = snprintf(msg + o, n - o, "%s%s", o ? ", " : "Null value not supported for : ",
                         sl_admin_quote(q, sizeof q, c->Name, 120));
        if (w > 0 && (size_t)w < n - o)
            o += (size_t)w;
    }
    if (o)
        return SL_ERR_INVALID_REQUEST;
    switch (res->ResourceType) {
    case SL_ADMIN_RES_TOPIC:
        return incremental_topic(broker, res, validate_only, arena, msg, n);
    case SL_ADMIN_RES_BROKER:
        return broker_alter(broker, res->ResourceName, res->Configs.items, res->Configs.count,
                            sizeof res->Configs.items[0], msg, n);
    case SL_ADMIN_RES_BROKER_LOGGER:
        snprintf(msg, n, "Broker logger configs are not supported by this broker.");
        return SL_ERR_INVALID_REQUEST;
    default:
        unknown_type_msg(msg, n, res->ResourceType);
        return SL_ERR_INVALID_REQUEST;
    }
}

sl_err_t sl_admin_incremental_alter_configs(sl_broker_t *broker, int16_t version,
                                            const sl_IncrementalAlterConfigsRequest_t *req, sl_arena_t *arena,
                                            sl_IncrementalAlterConfigsResponse_t *resp)
{
    SL_UNUSED(version);
    sl_IncrementalAlterConfigsResponse_init(resp);
    int32_t n = SL_MAX(req->Resources.count, 0);
    resp->Responses.items = sl_arena_calloc(arena, n ? (size_t)n : 1, sizeof *resp->Responses.items);
    if (!resp->Responses.items)
        return SL_ERR_NOMEM;
    resp->Responses.count = n;
    res_counts_t rc;
    sl_map_init(&rc.map);
    sl_err_t err = SL_OK;
    for (int32_t i = 0; i < n && !err; i++)
        err = res_counts_add(&rc, arena, req->Resources.items[i].ResourceType, req->Resources.items[i].ResourceName);
    for (int32_t i = 0; i < n && !err; i++) {
        const sl_IncrementalAlterConfigsRequest_AlterConfigsResource_t *res = &req->Resources.items[i];
        sl_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_t *r = &resp->Responses.items[i];
        sl_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_init(r);
        r->ResourceType = res->ResourceType;
        r->ResourceName = res->ResourceName;
        r->ErrorMessage = sl_kstr_null();
        char msg[1024] = "";
        sl_err_t rerr;
        if (res_counts_repeated(&rc, arena, res->ResourceType, res->ResourceName)) {
            rerr = SL_ERR_INVALID_REQUEST;
            snprintf(msg, sizeof msg, "Each resource must appear at most once.");
        } else {
            rerr = incremental_one(broker, res, req->ValidateOnly, arena, msg, sizeof msg);
        }
        if (rerr == SL_ERR_NOMEM)
            err = rerr;
        else if (rerr) {
            r->ErrorCode = sl_err_wire(rerr);
            r->ErrorMessage = sl_admin_msg(arena, "%s", sl_admin_why(rerr, msg));
        }
    }
    sl_map_fini(&rc.map, NULL);
    return err;
}

/* ---- handlers ---------------------------------------------------------- */

void sl_broker_handle_describe_configs(sl_broker_req_t *req)
{
    sl_DescribeConfigsResponse_t resp;
    sl_admin_finish(req,
                    sl_broker_admin_describe_configs(req->broker, req->hdr.api_version, req->body, &req->arena, &resp),
                    &resp);
}

void sl_broker_handle_alter_configs(sl_broker_req_t *req)
{
    sl_AlterConfigsResponse_t resp;
    sl_admin_finish(req, sl_broker_admin_alter_configs(req->broker, req->hdr.api_version, req->body, &req->arena, &resp),
                    &resp);
}

void sl_broker_handle_incremental_alter_configs(sl_broker_req_t *req)
{
    sl_IncrementalAlterConfigsResponse_t resp;
    sl_admin_finish(req,
                    sl_admin_incremental_alter_configs(req->broker, req->hdr.api_version, req->body, &req->arena,
                                                       &resp),
                    &resp);
}
