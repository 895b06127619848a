/*
 * xform_int.h - the pipeline's own contracts: Kafka Connect's single
 * message transforms and predicates (xform*.c), the chain a connector's
 * `transforms` and `predicates` keys configure (xform.c), the helpers
 * the transforms share, and a sink's dead letter queue (pipeline_dlq.c).
 * Called by pipeline*.c and the xform files only.
 *
 * A transform reads a record (connector.h's sl_connect_record_t, every
 * pointer borrowed) and rewrites it in place with new values built in the
 * record's mem; it never changes a value it was given (values may be
 * shared with the caller). Names, keys, behaviour and error sentences are
 * Kafka's (org.apache.kafka.connect.transforms.*).
 */
#ifndef SL_XFORM_INT_H
#define SL_XFORM_INT_H

#include <regex.h>

#include "connect_int.h"

/* ---- definitions ---------------------------------------------------------- */

/* Kafka's packages of transforms and predicates (class name prefixes). */
#define SL_XFORM_PKG "org.apache.kafka.connect.transforms."
#define SL_XFORM_PRED_PKG "org.apache.kafka.connect.transforms.predicates."

/* One key of a transform or predicate (Kafka's ConfigDef entry): keys are
 * read under the alias prefix ("transforms.a." + name). */
typedef struct sl_xform_key {
    const char *name;
    sl_connect_cfgtype_t type;   /* STRING, LIST or BOOLEAN */
    const char *default_value;   /* NULL: none (unset stays unset) */
    bool required;
    sl_connect_importance_t importance;
    const char *doc;
} sl_xform_key_t;

typedef struct sl_xform_def sl_xform_def_t;

/* Where a transform's or predicate's keys are read: props (borrowed) under
 * prefix ("transforms.a."), with def's defaults. */
typedef struct sl_xform_cfg {
    const sl_props_t *props;
    const char *prefix;
    const sl_xform_def_t *def;
} sl_xform_cfg_t;

typedef enum sl_xform_side {
    SL_XFORM_RECORD = 0,         /* the record as a whole (routers, Filter) */
    SL_XFORM_KEY,                /* $Key variants */
    SL_XFORM_VALUE,              /* $Value variants */
} sl_xform_side_t;

struct sl_xform_def {
    const char *name;            /* "InsertField$Value", "TopicNameMatches" */
    const char *kafka_class;     /* Kafka's full class name */
    bool predicate;              /* a predicate (test) or a transform (apply) */
    sl_xform_side_t side;
    const sl_xform_key_t *keys;
    size_t key_count;
    /* Builds the state from cfg (cfg->def is this definition; the keys
     * were checked against keys[] first: required ones are set, BOOLEAN
     * ones parse). SL_ERR_CONFIG with errbuf ("Invalid value X for
     * configuration transforms.a.k: why"), SL_ERR_NOMEM. *state may stay
     * NULL (no state). */
    sl_err_t (*make)(const sl_xform_cfg_t *cfg, void **state, char *errbuf, size_t errlen);
    void (*free)(void *state);     /* NULL: nothing to free */
    /* Transforms: rewrites rec (sink: a consumed record, with kafka_offset)
     * with values built in mem, or sets *drop. SL_ERR_INVAL with Kafka's
     * sentence in reason when the record does not fit (a DataException),
     * SL_ERR_NOMEM. */
    sl_err_t (*apply)(void *state, sl_connect_record_t *rec, bool sink, sl_connect_mem_t *mem,
                      bool *drop, char *reason, size_t rlen);
    /* Predicates: whether rec matches. */
    bool (*test)(void *state, const sl_connect_record_t *rec);
};

/* The transforms and predicates (xform_field.c, xform_route.c,
 * xform_filter.c), and the lookup by Kafka's full or short class name:
 * NULL when there is none of that kind; then *variants (may be NULL) is
 * set when name is a class whose $Key and $Value variants exist (Kafka's
 * "is abstract" case: the two full names, static text), else NULL. */
extern const sl_xform_def_t sl_xform_insert_key, sl_xform_insert_value;
extern const sl_xform_def_t sl_xform_replace_key, sl_xform_replace_value;
extern const sl_xform_def_t sl_xform_mask_key, sl_xform_mask_value;
extern const sl_xform_def_t sl_xform_regex_router, sl_xform_timestamp_router, sl_xform_filter;
extern const sl_xform_def_t sl_xform_topic_name_matches, sl_xform_has_header_key,
    sl_xform_record_is_tombstone;
const sl_xform_def_t *sl_xform_find(const char *name, bool predicate, const char **variants);
/* The built-in transforms and predicates one by one (static; NULL past the
 * last), e.g. for listings such as GET /connector-plugins. */
const sl_xform_def_t *sl_xform_at(size_t i);

/* ---- the chain (xform.c) ----------------------------------------------------
 * A connector's transforms in order, each with its optional predicate. */
typedef struct sl_xform_chain sl_xform_chain_t;

/* Builds the chain config's transforms/predicates keys describe (config
 * borrowed; what is kept is copied). No transforms: an empty chain.
 * SL_ERR_CONFIG with the first problem in errbuf, SL_ERR_NOMEM. */
sl_err_t sl_xform_chain_new(const sl_props_t *config, sl_xform_chain_t **out, char *errbuf,
                            size_t errlen);
void sl_xform_chain_free(sl_xform_chain_t *c);
/* Runs rec through the chain. *drop: a transform dropped it. On failure
 * *cls names the failing transform's Kafka class (static). Errors as
 * sl_xform_def_t.apply. */
sl_err_t sl_xform_chain_apply(const sl_xform_chain_t *c, sl_connect_record_t *rec, bool sink,
                              sl_connect_mem_t *mem, bool *drop, const char **cls, char *reason,
                              size_t rlen);
/* Validation entries for transforms, predicates and each alias's keys
 * (see sl_connect_pipeline_validate), with errors. SL_ERR_NOMEM. */
sl_err_t sl_xform_chain_validate(const sl_props_t *config, sl_arena_t *arena,
                                 sl_connect_config_result_t **out, size_t *n, size_t *cap);

/* ---- helpers (xform.c) ------------------------------------------------------ */

/* The value of prefix+key in cfg, else the key's default, else NULL. */
const char *sl_xform_get(const sl_xform_cfg_t *cfg, const char *key);
/* Fills errbuf with Kafka's ConfigException sentence for prefix+key and
 * returns SL_ERR_CONFIG. */
sl_err_t sl_xform_bad(const sl_xform_cfg_t *cfg, const char *key, const char *value,
                      char *errbuf, size_t errlen, const char *why, ...)
    __attribute__((format(printf, 6, 7)));

/* A validation entry (config.c's sl_connect_config_result_add) for key
 * (the full name, e.g. "transforms.a.regex") defined by k, in group
 * (arena or static text); type overrides the type name shown ("CLASS"),
 * NULL: k's. The entry (in *out) or NULL when out of memory. */
sl_connect_config_result_t *sl_xform_entry(const sl_props_t *config, sl_arena_t *arena,
                                           sl_connect_config_result_t **out, size_t *n,
                                           size_t *cap, const sl_xform_key_t *k, const char *key,
                                           const char *type, const char *group);

/* A parsed LIST value: items trimmed, empty ones dropped, all in one
 * malloc'ed block. */
typedef struct sl_xform_list {
    char **items;
    size_t count;
} sl_xform_list_t;
/* Parses text (NULL: empty). SL_ERR_NOMEM. Free with sl_xform_list_free. */
sl_err_t sl_xform_list_parse(const char *text, sl_xform_list_t *out);
void sl_xform_list_free(sl_xform_list_t *l);
bool sl_xform_list_has(const sl_xform_list_t *l, const char *s, size_t len);

/* The Java class Kafka's messages name for a value ("java.lang.String",
 * "org.apache.kafka.connect.data.Struct", "null"). */
const char *sl_xform_java_class(const sl_cvalue_t *v);

/* The side's schema and value of rec, and setting them. */
void sl_xform_side_get(const sl_connect_record_t *rec, sl_xform_side_t side,
                       const sl_cschema_t **schema, const sl_cvalue_t **value);
void sl_xform_side_set(sl_connect_record_t *rec, sl_xform_side_t side, const sl_cschema_t *schema,
                       const sl_cvalue_t *value);

/* A STRUCT value's or schemaless MAP's string key equal to name[0..len). */
bool sl_xform_key_is(const sl_cvalue_t *key, const char *name, size_t len);

/* ---- regular expressions (xform_route.c) ----------------------------------
 * Kafka's patterns are Java regexes; here they are POSIX extended regexes
 * (regcomp REG_EXTENDED) with \d and \D accepted outside brackets. A match
 * is Java's matches(): the whole text. */
typedef struct sl_xform_regex {
    regex_t re;
    bool compiled;
} sl_xform_regex_t;
/* SL_ERR_CONFIG with the regcomp sentence in errbuf, SL_ERR_NOMEM. */
sl_err_t sl_xform_regex_compile(sl_xform_regex_t *r, const char *pattern, char *errbuf,
                                size_t errlen);
/* Whether s[0..len) matches as a whole; groups (may be NULL) gets up to n
 * submatches. */
bool sl_xform_regex_matches(const sl_xform_regex_t *r, const char *s, size_t len,
                            regmatch_t *groups, size_t n);
void sl_xform_regex_free(sl_xform_regex_t *r);

/* ---- the dead letter queue (pipeline_dlq.c) ----------------------------------
 * A sink task's DLQ producer; used by the task's thread only. */
typedef struct sl_connect_dlq sl_connect_dlq_t;

/* What failed, for the __connect.errors.* headers (all borrowed). */
typedef struct sl_connect_dlq_error {
    const char *stage;             /* "VALUE_CONVERTER", "TRANSFORMATION", ... */
    const char *class_name;        /* the converter's or transform's Kafka class */
    const char *exception_class;
    const char *message;
    const char *stacktrace;
} sl_connect_dlq_error_t;

/* A DLQ to topic (copied) for task `task` of connector, with the client
 * settings of producer_conf (borrowed, copied; NULL: defaults).
 * replication_factor -1: the broker's default. No I/O yet. SL_ERR_NOMEM. */
sl_err_t sl_connect_dlq_new(const char *topic, int16_t replication_factor, bool context_headers,
                            const char *connector, int task, const sl_conf_t *producer_conf,
                            sl_connect_dlq_t **out);
/* Sends msg's key, value, headers and timestamp (borrowed for the call)
 * with e's headers when context headers are on. The first call creates
 * the topic when missing and starts the producer. The client's errors
 * (topic creation, send) with errbuf saying what failed, SL_ERR_NOMEM. */
sl_err_t sl_connect_dlq_send(sl_connect_dlq_t *d, const sl_message_t *msg,
                             const sl_connect_dlq_error_t *e, char *errbuf, size_t errlen);
/* Waits up to timeout_ms (-1: no limit) until everything sent was
 * acknowledged. SL_ERR_TIMEOUT, or the first delivery error (errbuf says
 * how many failed). Accepts NULL (SL_OK). */
sl_err_t sl_connect_dlq_flush(sl_connect_dlq_t *d, int timeout_ms, char *errbuf, size_t errlen);
/* Flushes (up to 30 s) and frees. Accepts NULL. */
void sl_connect_dlq_free(sl_connect_dlq_t *d);

#endif /* SL_XFORM_INT_H */
