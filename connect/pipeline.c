/*
 * pipeline.c - one task's record pipeline (Kafka's TransformationChain,
 * converters and RetryWithToleranceOperator in one object). A source
 * record goes through the transforms, then the key and value converters,
 * and leaves as a producer record; a consumed message goes through the
 * converters, then the transforms, and leaves as a sink record. Record
 * headers pass as raw bytes both ways (connector.h ABI 2 keeps them as
 * bytes, so there is no header converter to run).
 *
 * A record that fails a converter or a transform fails the task
 * (errors.tolerance=none, the default) or is skipped
 * (errors.tolerance=all): logged when errors.log.enable=true (with the
 * record's coordinates when errors.log.include.messages=true), counted,
 * and for sinks produced to the dead letter queue when
 * errors.deadletterqueue.topic.name is set (pipeline_dlq.c).
 * errors.retry.timeout and errors.retry.delay.max.ms are accepted and
 * checked; converters and transforms never fail in a way worth retrying,
 * so nothing is retried.
 *
 * Everything a record needs lives in the caller's mem (the task's batch
 * memory): no per-record malloc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xform_int.h"

#define DATA_EXCEPTION "org.apache.kafka.connect.errors.DataException"
#define DLQ_TOPIC_KEY "errors.deadletterqueue.topic.name"
#define DLQ_RF_KEY "errors.deadletterqueue.topic.replication.factor"
#define DLQ_HEADERS_KEY "errors.deadletterqueue.context.headers.enable"

/* The errors.* settings. */
typedef struct err_settings {
    bool tolerate_all;
    bool log;
    bool log_messages;
    const char *dlq_topic;         /* borrowed from the config; NULL: none */
    int16_t dlq_rf;
    bool dlq_headers;
} err_settings_t;

struct sl_connect_pipeline {
    sl_connect_kind_t kind;
    char *connector;
    int task;
    sl_connect_converter_t *conv[2];   /* key, value */
    const char *conv_class[2];         /* their Kafka class names */
    sl_xform_chain_t *chain;           /* transforms; empty: none */
    err_settings_t errs;
    sl_connect_dlq_t *dlq;             /* sinks with a DLQ; else NULL */
    sl_buf_t kb, vb;                   /* source: serialised key and value */
    uint64_t skipped, dead_lettered;
};

static const char *const conv_keys[2] = {"key.converter", "value.converter"};
static const char *const conv_stages[2] = {"KEY_CONVERTER", "VALUE_CONVERTER"};

/* ---- settings ------------------------------------------------------------------- */

static const sl_connect_configdef_t error_defs[] = {
    {"errors.retry.timeout", SL_CFG_LONG, "0", SL_IMPORTANCE_MEDIUM,
     "The maximum duration in milliseconds that a failed operation will be reattempted "
     "(accepted; converters and transforms are not retried)."},
    {"errors.retry.delay.max.ms", SL_CFG_LONG, "60000", SL_IMPORTANCE_MEDIUM,
     "The maximum duration in milliseconds between consecutive retry attempts (accepted; "
     "nothing is retried)."},
    {"errors.tolerance", SL_CFG_STRING, "none", SL_IMPORTANCE_MEDIUM,
     "Behavior for tolerating errors during connector operation: 'none' fails the task at the "
     "first record a converter or transform cannot take; 'all' skips such records."},
    {"errors.log.enable", SL_CFG_BOOLEAN, "false", SL_IMPORTANCE_MEDIUM,
     "If true, write each tolerated error and the failed operation to the worker's log."},
    {"errors.log.include.messages", SL_CFG_BOOLEAN, "false", SL_IMPORTANCE_MEDIUM,
     "Whether the log line names the record (topic, partition, offset, timestamp)."},
};
static const sl_connect_configdef_t dlq_defs[] = {
    {DLQ_TOPIC_KEY, SL_CFG_STRING, "", SL_IMPORTANCE_MEDIUM,
     "The topic records that failed (with errors.tolerance=all) are produced to, as they were "
     "consumed; empty: no dead letter queue. Created when missing."},
    {DLQ_RF_KEY, SL_CFG_INT, "-1", SL_IMPORTANCE_MEDIUM,
     "Replication factor of the dead letter queue topic when it is created; -1 (the default "
     "here, where Kafka says 3) uses the broker's default."},
    {DLQ_HEADERS_KEY, SL_CFG_BOOLEAN, "false", SL_IMPORTANCE_MEDIUM,
     "If true, add the __connect.errors.* headers (what failed and why) to dead letter queue "
     "records."},
};
#define N_ERROR_DEFS (sizeof(error_defs) / sizeof(error_defs[0]))
#define N_DLQ_DEFS (sizeof(dlq_defs) / sizeof(dlq_defs[0]))

static bool is_true(const char *v)
{
    return v && strcasecmp(v, "true") == 0;
}

/* Whether a topic name is one Kafka accepts. */
static bool legal_topic(const char *t)
{
    size_t len = strlen(t);
    if (!len || len > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
        return false;
    return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/* Reads the errors.* keys (DLQ keys for sinks only, as Kafka's source
 * connectors do not define them). SL_ERR_CONFIG with errbuf and *bad (may
 * be NULL) naming the key. */
static sl_err_t errors_parse(const sl_props_t *config, sl_connect_kind_t kind, err_settings_t *s,
                             const char **bad, char *errbuf, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->dlq_rf = -1;
    if (bad)
        *bad = NULL;
    bool sink = kind == SL_CONNECT_SINK;
    for (size_t i = 0; i < N_ERROR_DEFS + (sink ? N_DLQ_DEFS : 0); i++) {
        const sl_connect_configdef_t *d = i < N_ERROR_DEFS ? &error_defs[i]
                                                           : &dlq_defs[i - N_ERROR_DEFS];
        if (!sl_connect_config_check(d, sl_props_get(config, d->name), errbuf, errlen)) {
            if (bad)
                *bad = d->name;
            return SL_ERR_CONFIG;
        }
    }
    const char *tol = sl_props_get(config, "errors.tolerance");
    if (tol && strcmp(tol, "none") != 0 && strcmp(tol, "all") != 0) {
        if (errbuf)
            snprintf(errbuf, errlen, "Invalid value %s for configuration errors.tolerance: "
                     "String must be one of: none, all", tol);
        if (bad)
            *bad = "errors.tolerance";
        return SL_ERR_CONFIG;
    }
    s->tolerate_all = tol && strcmp(tol, "all") == 0;
    s->log = is_true(sl_props_get(config, "errors.log.enable"));
    s->log_messages = is_true(sl_props_get(config, "errors.log.include.messages"));
    if (!sink)
        return SL_OK;
    const char *topic = sl_props_get(config, DLQ_TOPIC_KEY);
    const char *rf = sl_props_get(config, DLQ_RF_KEY);
    s->dlq_headers = is_true(sl_props_get(config, DLQ_HEADERS_KEY));
    long long r = rf ? strtoll(rf, NULL, 10) : -1;
    if (r != -1 && (r < 1 || r > 32767)) {
        if (errbuf)
            snprintf(errbuf, errlen, "Invalid value %s for configuration %s: must be -1 (the "
                     "broker's default) or from 1 to 32767", rf, DLQ_RF_KEY);
        if (bad)
            *bad = DLQ_RF_KEY;
        return SL_ERR_CONFIG;
    }
    s->dlq_rf = (int16_t)r;
    if (!topic || !*topic)
        return SL_OK;
    const char *why = NULL;
    sl_xform_list_t topics = {0};
    if (!legal_topic(topic))
        why = "not a legal topic name (1 to 249 of a-z A-Z 0-9 . _ -)";
    else if (sl_xform_list_parse(sl_props_get(config, "topics"), &topics))
        return SL_ERR_NOMEM;
    else if (sl_xform_list_has(&topics, topic, strlen(topic)))
        why = "the dead letter queue topic may not be one of the topics the connector consumes";
    sl_xform_list_free(&topics);
    if (why) {
        if (errbuf)
            snprintf(errbuf, errlen, "Invalid value %s for configuration %s: %s", topic,
                     DLQ_TOPIC_KEY, why);
        if (bad)
            *bad = DLQ_TOPIC_KEY;
        return SL_ERR_CONFIG;
    }
    s->dlq_topic = topic;
    return SL_OK;
}

/* Kafka's class name of a converter name sl_connect_converter_new took. */
static const char *converter_class(const char *name)
{
    if (strcmp(name, "string") == 0 || strstr(name, "StringConverter"))
        return "org.apache.kafka.connect.storage.StringConverter";
    if (strcmp(name, "bytes") == 0 || strstr(name, "ByteArrayConverter"))
        return "org.apache.kafka.connect.converters.ByteArrayConverter";
    return "org.apache.kafka.connect.json.JsonConverter";
}

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
    for (int i = 0; i < 2; i++)
        sl_connect_converter_free(p->conv[i]);
    sl_xform_chain_free(p->chain);
    sl_connect_dlq_free(p->dlq);
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
    sl_err_t err = SL_OK;
    for (int i = 0; i < 2 && !err; i++) {
        const char *name;
        err = converter_for(worker_props, config, i, &p->conv[i], &name, errbuf, errlen);
        if (!err)
            p->conv_class[i] = converter_class(name);
    }
    if (!err)
        err = errors_parse(config, kind, &p->errs, NULL, errbuf, errlen);
    if (!err)
        err = sl_xform_chain_new(config, &p->chain, errbuf, errlen);
    /* Kafka reports to the DLQ only what it tolerates. */
    if (!err && p->errs.dlq_topic && p->errs.tolerate_all)
        err = sl_connect_dlq_new(p->errs.dlq_topic, p->errs.dlq_rf, p->errs.dlq_headers,
                                 p->connector, task, producer_conf, &p->dlq);
    p->errs.dlq_topic = NULL;      /* borrowed from config: the DLQ keeps its copy */
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

sl_err_t sl_connect_pipeline_flush(sl_connect_pipeline_t *p, int timeout_ms, char *errbuf,
                                   size_t errlen)
{
    return p ? sl_connect_dlq_flush(p->dlq, timeout_ms, errbuf, errlen) : SL_OK;
}

/* ---- failures ---------------------------------------------------------------- */

/* What failed: the stage and the class running it, the code and why. */
typedef struct failure {
    const char *stage;
    const char *cls;
    sl_err_t err;
    const char *reason;
} failure_t;

/* Kafka's LogReporter line for a tolerated failure. */
static void log_failure(const sl_connect_pipeline_t *p, const failure_t *f,
                        const sl_message_t *msg, const sl_connect_record_t *rec)
{
    char where[700] = "";
    if (p->errs.log_messages && msg)
        snprintf(where, sizeof(where), ", where consumed record is {topic='%s', partition=%d, "
                 "offset=%lld, timestamp=%lld, timestampType=%s}", msg->topic,
                 (int)msg->partition, (long long)msg->offset, (long long)msg->timestamp,
                 msg->timestamp_type ? "LogAppendTime" : "CreateTime");
    else if (p->errs.log_messages && rec)
        snprintf(where, sizeof(where), ", where source record is = SourceRecord{"
                 "sourcePartition=%s, sourceOffset=%s} ConnectRecord{topic='%s', "
                 "kafkaPartition=%d, timestamp=%lld}",
                 rec->source_partition ? rec->source_partition : "null",
                 rec->source_offset ? rec->source_offset : "null", rec->topic ? rec->topic : "",
                 (int)rec->partition, (long long)rec->timestamp);
    SL_ERROR("connect", "Error encountered in task %s-%d. Executing stage '%s' with class "
             "'%s'%s. %s: %s", p->connector, p->task, f->stage, f->cls ? f->cls : "null", where,
             DATA_EXCEPTION, f->reason);
}

/* A record failed (msg: the consumed one of a sink; rec: a source's). With
 * errors.tolerance=none: the error, errbuf saying what failed where. With
 * all: logged (errors.log.enable), counted, dead-lettered (sinks with a
 * DLQ) and *skip set. */
static sl_err_t failed(sl_connect_pipeline_t *p, const failure_t *f, const sl_message_t *msg,
                       const sl_connect_record_t *rec, bool *skip, char *errbuf, size_t errlen)
{
    if (f->err == SL_ERR_NOMEM)
        return f->err;
    if (!p->errs.tolerate_all) {
        if (errbuf && msg)
            snprintf(errbuf, errlen, "Tolerance exceeded in error handler: stage %s (%s) failed "
                     "for %s-%d@%lld: %s", f->stage, f->cls, msg->topic, (int)msg->partition,
                     (long long)msg->offset, f->reason);
        else if (errbuf)
            snprintf(errbuf, errlen, "Tolerance exceeded in error handler: stage %s (%s) failed "
                     "for a record to %s: %s", f->stage, f->cls, rec->topic ? rec->topic : "?",
                     f->reason);
        return f->err;
    }
    if (p->errs.log)
        log_failure(p, f, msg, rec);
    p->skipped++;
    *skip = true;
    if (!p->dlq || !msg)
        return SL_OK;
    char trace[700];
    snprintf(trace, sizeof(trace), "%s: %s", DATA_EXCEPTION, f->reason);
    sl_connect_dlq_error_t e = {f->stage, f->cls, DATA_EXCEPTION, f->reason, trace};
    sl_err_t err = sl_connect_dlq_send(p->dlq, msg, &e, errbuf, errlen);
    if (!err)
        p->dead_lettered++;
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
    failure_t f = {"TRANSFORMATION", NULL, SL_OK, reason};
    bool drop = false;
    f.err = sl_xform_chain_apply(p->chain, &w, false, mem, &drop, &f.cls, reason, sizeof(reason));
    if (f.err)
        return failed(p, &f, NULL, rec, skip, errbuf, errlen);
    if (drop) {
        *skip = true;
        return SL_OK;
    }
    out->topic = w.topic;
    out->partition = w.partition < 0 ? SL_PARTITION_ANY : w.partition;
    out->timestamp = w.timestamp;
    const sl_cschema_t *schemas[2] = {w.key_schema, w.value_schema};
    const sl_cvalue_t *values[2] = {w.key, w.value};
    const void **data[2] = {&out->key, &out->value};
    int32_t *lens[2] = {&out->key_len, &out->value_len};
    for (int i = 0; i < 2; i++) {
        f = (failure_t){conv_stages[i], p->conv_class[i], SL_OK, reason};
        f.err = source_convert(p, i, schemas[i], values[i], mem, data[i], lens[i], reason,
                               sizeof(reason));
        if (f.err)
            return failed(p, &f, NULL, &w, skip, errbuf, errlen);
    }
    f = (failure_t){"HEADER_CONVERTER", "org.apache.kafka.connect.storage.SimpleHeaderConverter",
                    SL_OK, "a header value over 2 GiB"};
    if ((f.err = headers_to_wire(mem, w.headers, w.header_count, &out->headers)))
        return failed(p, &f, NULL, &w, skip, errbuf, errlen);
    out->header_count = w.header_count;
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
    failure_t f;
    for (int i = 0; i < 2; i++) {
        bool null = !data[i] || lens[i] < 0;
        f = (failure_t){conv_stages[i], p->conv_class[i], SL_OK, reason};
        f.err = sl_connect_converter_to_value(p->conv[i], null ? NULL : data[i],
                                              null ? 0 : (size_t)lens[i], mem, schemas[i],
                                              values[i], reason, sizeof(reason));
        if (f.err)
            return failed(p, &f, msg, NULL, skip, errbuf, errlen);
    }
    if (headers_from_wire(mem, msg->headers, msg->header_count, &out->headers))
        return SL_ERR_NOMEM;
    out->header_count = msg->header_count;
    f = (failure_t){"TRANSFORMATION", NULL, SL_OK, reason};
    bool drop = false;
    f.err = sl_xform_chain_apply(p->chain, out, true, mem, &drop, &f.cls, reason, sizeof(reason));
    if (f.err)
        return failed(p, &f, msg, NULL, skip, errbuf, errlen);
    *skip = drop;
    return SL_OK;
}

/* ---- validation ------------------------------------------------------------------ */

sl_err_t sl_connect_pipeline_validate(const sl_props_t *config, sl_connect_kind_t kind,
                                      sl_arena_t *arena, sl_connect_config_result_t **out,
                                      size_t *n, size_t *cap)
{
    static const sl_xform_key_t conv_defs[2] = {
        {"key.converter", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_LOW,
         "Converter class for the record keys (string, bytes, json or Kafka's class names); "
         "the worker's key.converter when unset."},
        {"value.converter", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_LOW,
         "Converter class for the record values (string, bytes, json or Kafka's class names); "
         "the worker's value.converter when unset."},
    };
    for (int i = 0; i < 2; i++) {
        sl_connect_config_result_t *r = sl_xform_entry(config, arena, out, n, cap, &conv_defs[i],
                                                       conv_keys[i], "CLASS", "Common");
        if (!r)
            return SL_ERR_NOMEM;
        if (r->value) {
            sl_connect_converter_t *c = NULL;
            const char *name;
            char ebuf[256];
            sl_err_t err = converter_for(NULL, config, i, &c, &name, ebuf, sizeof(ebuf));
            sl_connect_converter_free(c);
            if (err == SL_ERR_NOMEM || (err && sl_connect_config_result_error(r, arena, ebuf)))
                return SL_ERR_NOMEM;
        }
    }
    sl_err_t err = sl_xform_chain_validate(config, arena, out, n, cap);
    bool sink = kind == SL_CONNECT_SINK;
    size_t first = *n;
    for (size_t i = 0; !err && i < N_ERROR_DEFS + (sink ? N_DLQ_DEFS : 0); i++)
        err = sl_connect_config_result_add(i < N_ERROR_DEFS ? &error_defs[i]
                                                            : &dlq_defs[i - N_ERROR_DEFS],
                                           "Error Handling", config, arena, out, n, cap);
    /* The checks beyond the types go on the entry they name. */
    err_settings_t s;
    const char *bad = NULL;
    char ebuf[512];
    if (!err && errors_parse(config, kind, &s, &bad, ebuf, sizeof(ebuf)) == SL_ERR_CONFIG && bad)
        for (size_t i = first; i < *n; i++)
            if (strcmp((*out)[i].name, bad) == 0 && !(*out)[i].error_count)
                err = sl_connect_config_result_error(&(*out)[i], arena, ebuf);
    return err;
}
