/*
 * pipeline.c - one task's record pipeline (Kafka's TransformationChain,
 * converters and RetryWithToleranceOperator in one object). A source
 * record goes through the transforms, then the key and value converters,
 * and leaves as a producer record; a consumed message goes through the
 * converters, then the transforms, and leaves as a sink record. Record
 * headers pass as raw bytes both ways (connector.h ABI 2 keeps them as
 * bytes, so there is no header converter to run).
 *
 * Everything a record needs lives in the caller's mem (the task's batch
 * memory): no per-record malloc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xform_int.h"

struct sl_connect_pipeline {
    sl_connect_kind_t kind;
    char *connector;
    int task;
    sl_connect_converter_t *conv[2];   /* key, value */
    char *conv_class[2];               /* their names as configured */
    sl_xform_chain_t *chain;           /* transforms; NULL: none */
    sl_buf_t kb, vb;                   /* source: serialised key and value */
    uint64_t skipped, dead_lettered;
};

static const char *const conv_keys[2] = {"key.converter", "value.converter"};
static const char *const conv_stages[2] = {"KEY_CONVERTER", "VALUE_CONVERTER"};

/* The converter of which (0 key, 1 value): the connector's when it names
 * one (with the connector's own settings), else the worker's, else json. */
static sl_err_t converter_for(const sl_props_t *worker_props, const sl_props_t *config, int which,
                              sl_connect_converter_t **out, const char **name, char *errbuf,
                              size_t errlen)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "%s.", conv_keys[which]);
    const sl_props_t *src = config;
    *name = sl_props_get(config, conv_keys[which]);
    if (!*name && worker_props) {
        src = worker_props;
        *name = sl_props_get(worker_props, conv_keys[which]);
    }
    if (!*name)
        *name = "json";
    return sl_connect_converter_new(*name, src, prefix, out, errbuf, errlen);
}

void sl_connect_pipeline_free(sl_connect_pipeline_t *p)
{
    if (!p)
        return;
    for (int i = 0; i < 2; i++) {
        sl_connect_converter_free(p->conv[i]);
        free(p->conv_class[i]);
    }
    sl_xform_chain_free(p->chain);
    sl_buf_free(&p->kb);
    sl_buf_free(&p->vb);
    free(p->connector);
    free(p);
}

sl_err_t sl_connect_pipeline_new(const sl_props_t *worker_props, const sl_props_t *config,
                                 sl_connect_kind_t kind, const char *connector, int task,
                                 const sl_conf_t *producer_conf, sl_connect_pipeline_t **out,
                                 char *errbuf, size_t errlen)
{
    (void)producer_conf;
    *out = NULL;
    sl_connect_pipeline_t *p = calloc(1, sizeof(*p));
    if (!p || !(p->connector = strdup(connector ? connector : ""))) {
        free(p);
        return SL_ERR_NOMEM;
    }
    p->kind = kind;
    p->task = task;
    sl_buf_init(&p->kb);
    sl_buf_init(&p->vb);
    for (int i = 0; i < 2; i++) {
        const char *name;
        sl_err_t err = converter_for(worker_props, config, i, &p->conv[i], &name, errbuf, errlen);
        if (!err && !(p->conv_class[i] = strdup(name)))
            err = SL_ERR_NOMEM;
        if (err) {
            sl_connect_pipeline_free(p);
            return err;
        }
    }
    sl_err_t err = sl_xform_chain_new(config, &p->chain, errbuf, errlen);
    if (err) {
        sl_connect_pipeline_free(p);
        return err;
    }
    *out = p;
    return SL_OK;
}

sl_err_t sl_connect_pipeline_check(const sl_props_t *worker_props, const sl_props_t *config,
                                   sl_connect_kind_t kind, char *errbuf, size_t errlen)
{
    sl_connect_pipeline_t *p = NULL;
    sl_err_t err = sl_connect_pipeline_new(worker_props, config, kind, "", 0, NULL, &p, errbuf,
                                           errlen);
    sl_connect_pipeline_free(p);
    return err;
}

void sl_connect_pipeline_counts(const sl_connect_pipeline_t *p, uint64_t *skipped,
                                uint64_t *dead_lettered)
{
    if (skipped)
        *skipped = p->skipped;
    if (dead_lettered)
        *dead_lettered = p->dead_lettered;
}

/* ---- failures ---------------------------------------------------------------- */

/* A record failed at stage (with class cls): says so in errbuf, naming the
 * record. */
static sl_err_t failed(sl_connect_pipeline_t *p, const char *stage, const char *cls,
                       sl_err_t err, const char *topic, int32_t partition, int64_t offset,
                       const char *reason, char *errbuf, size_t errlen)
{
    (void)p;
    if (err == SL_ERR_NOMEM)
        return err;
    if (errbuf) {
        if (offset >= 0)
            snprintf(errbuf, errlen, "stage %s (%s) failed for %s-%d@%lld: %s", stage, cls,
                     topic ? topic : "?", (int)partition, (long long)offset, reason);
        else
            snprintf(errbuf, errlen, "stage %s (%s) failed for a record to %s: %s", stage, cls,
                     topic ? topic : "?", reason);
    }
    return err;
}

/* ---- headers ----------------------------------------------------------------- */

static sl_err_t headers_to_wire(sl_connect_mem_t *mem, const sl_connect_header_t *in, size_t n,
                                const sl_msg_header_t **out)
{
    *out = NULL;
    if (!n)
        return SL_OK;
    sl_msg_header_t *h = sl_arena_calloc(&mem->arena, n, sizeof(*h));
    if (!h)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (in[i].value_len > INT32_MAX)
            return SL_ERR_INVAL;
        h[i].key = in[i].key ? in[i].key : "";
        h[i].value = in[i].value;
        h[i].value_len = in[i].value ? (int32_t)in[i].value_len : -1;
    }
    *out = h;
    return SL_OK;
}

static sl_err_t headers_from_wire(sl_connect_mem_t *mem, const sl_msg_header_t *in, size_t n,
                                  const sl_connect_header_t **out)
{
    *out = NULL;
    if (!n)
        return SL_OK;
    sl_connect_header_t *h = sl_arena_calloc(&mem->arena, n, sizeof(*h));
    if (!h)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        h[i].key = in[i].key ? in[i].key : "";
        bool null = !in[i].value || in[i].value_len < 0;
        h[i].value = null ? NULL : in[i].value;
        h[i].value_len = null ? 0 : (size_t)in[i].value_len;
    }
    *out = h;
    return SL_OK;
}

/* ---- source ------------------------------------------------------------------- */

/* Serialises one side (0 key, 1 value) into mem: *data NULL and *len -1 for
 * a null. */
static sl_err_t source_convert(sl_connect_pipeline_t *p, int which, const sl_cschema_t *schema,
                               const sl_cvalue_t *value, sl_connect_mem_t *mem,
                               const void **data, int32_t *len, char *reason, size_t rlen)
{
    sl_buf_t *b = which ? &p->vb : &p->kb;
    bool is_null = false;
    sl_buf_reset(b);
    sl_err_t err = sl_connect_converter_from_value(p->conv[which], schema, value, b, &is_null,
                                                   reason, rlen);
    if (err)
        return err;
    if (is_null) {
        *data = NULL;
        *len = -1;
        return SL_OK;
    }
    if (b->len > INT32_MAX) {
        snprintf(reason, rlen, "%zu bytes do not fit a record", b->len);
        return SL_ERR_INVAL;
    }
    *data = sl_arena_memdup(&mem->arena, b->data ? (const void *)b->data : "", b->len);
    *len = (int32_t)b->len;
    return *data ? SL_OK : SL_ERR_NOMEM;
}

sl_err_t sl_connect_pipeline_source(sl_connect_pipeline_t *p, const sl_connect_record_t *rec,
                                    sl_connect_mem_t *mem, sl_produce_rec_t *out, bool *skip,
                                    char *errbuf, size_t errlen)
{
    *skip = false;
    memset(out, 0, sizeof(*out));
    char reason[512] = "";
    sl_connect_record_t w = *rec;
    const sl_connect_record_t *r = &w;
    const char *cls = NULL;
    bool drop = false;
    sl_err_t err = sl_xform_chain_apply(p->chain, &w, false, mem, &drop, &cls, reason,
                                        sizeof(reason));
    if (err)
        return failed(p, "TRANSFORMATION", cls, err, rec->topic, rec->partition, -1, reason,
                      errbuf, errlen);
    if (drop) {
        *skip = true;
        return SL_OK;
    }
    out->topic = r->topic;
    out->partition = r->partition < 0 ? SL_PARTITION_ANY : r->partition;
    out->timestamp = r->timestamp;
    const sl_cschema_t *schemas[2] = {r->key_schema, r->value_schema};
    const sl_cvalue_t *values[2] = {r->key, r->value};
    const void **data[2] = {&out->key, &out->value};
    int32_t *lens[2] = {&out->key_len, &out->value_len};
    for (int i = 0; i < 2; i++) {
        err = source_convert(p, i, schemas[i], values[i], mem, data[i], lens[i], reason,
                             sizeof(reason));
        if (err)
            return failed(p, conv_stages[i], p->conv_class[i], err, r->topic, r->partition, -1,
                          reason, errbuf, errlen);
    }
    err = headers_to_wire(mem, r->headers, r->header_count, &out->headers);
    if (err)
        return failed(p, "HEADER_CONVERTER", "bytes", err, r->topic, r->partition, -1,
                      "a header value over 2 GiB", errbuf, errlen);
    out->header_count = r->header_count;
    return SL_OK;
}

/* ---- sink ------------------------------------------------------------------------ */

sl_err_t sl_connect_pipeline_sink(sl_connect_pipeline_t *p, const sl_message_t *msg,
                                  sl_connect_mem_t *mem, sl_connect_record_t *out, bool *skip,
                                  char *errbuf, size_t errlen)
{
    *skip = false;
    memset(out, 0, sizeof(*out));
    out->topic = msg->topic;
    out->partition = msg->partition;
    out->kafka_offset = msg->offset;
    out->timestamp = msg->timestamp;
    char reason[512] = "";
    const void *data[2] = {msg->key, msg->value};
    int32_t lens[2] = {msg->key_len, msg->value_len};
    const sl_cschema_t **schemas[2] = {&out->key_schema, &out->value_schema};
    const sl_cvalue_t **values[2] = {&out->key, &out->value};
    for (int i = 0; i < 2; i++) {
        bool null = !data[i] || lens[i] < 0;
        sl_err_t err = sl_connect_converter_to_value(p->conv[i], null ? NULL : data[i],
                                                     null ? 0 : (size_t)lens[i], mem, schemas[i],
                                                     values[i], reason, sizeof(reason));
        if (err)
            return failed(p, conv_stages[i], p->conv_class[i], err, msg->topic, msg->partition,
                          msg->offset, reason, errbuf, errlen);
    }
    if (headers_from_wire(mem, msg->headers, msg->header_count, &out->headers))
        return SL_ERR_NOMEM;
    out->header_count = msg->header_count;
    const char *cls = NULL;
    bool drop = false;
    sl_err_t err = sl_xform_chain_apply(p->chain, out, true, mem, &drop, &cls, reason,
                                        sizeof(reason));
    if (err)
        return failed(p, "TRANSFORMATION", cls, err, msg->topic, msg->partition, msg->offset,
                      reason, errbuf, errlen);
    *skip = drop;
    return SL_OK;
}

/* ---- validation ------------------------------------------------------------------ */

sl_err_t sl_connect_pipeline_validate(const sl_props_t *config, sl_connect_kind_t kind,
                                      sl_arena_t *arena, sl_connect_config_result_t **out,
                                      size_t *n, size_t *cap)
{
    (void)kind;
    static const char *const docs[2] = {
        "Converter class for the record keys (string, bytes, json or Kafka's class names); "
        "the worker's key.converter when unset.",
        "Converter class for the record values (string, bytes, json or Kafka's class names); "
        "the worker's value.converter when unset.",
    };
    for (int i = 0; i < 2; i++) {
        sl_connect_config_result_t *r = sl_xform_result_add(arena, out, n, cap);
        if (!r)
            return SL_ERR_NOMEM;
        const char *given = sl_props_get(config, conv_keys[i]);
        *r = (sl_connect_config_result_t){.name = conv_keys[i], .type = "CLASS",
                                          .importance = "LOW", .doc = docs[i], .group = "Common"};
        if (given && !(r->value = sl_arena_strndup(arena, given, strlen(given))))
            return SL_ERR_NOMEM;
        if (given) {
            sl_connect_converter_t *c = NULL;
            const char *name;
            char ebuf[256];
            sl_err_t err = converter_for(NULL, config, i, &c, &name, ebuf, sizeof(ebuf));
            sl_connect_converter_free(c);
            if (err == SL_ERR_NOMEM || (err && sl_xform_result_error(arena, r, ebuf)))
                return SL_ERR_NOMEM;
        }
    }
    return sl_xform_chain_validate(config, arena, out, n, cap);
}
