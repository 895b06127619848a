/*
 * xform_filter.c - Kafka's Filter transform (drops every record it is
 * applied to: used with a predicate, it drops the matching ones) and the
 * predicates TopicNameMatches (pattern: the whole topic matches a
 * regular expression), HasHeaderKey (name: a header of that key exists)
 * and RecordIsTombstone (the value is null).
 */
#include <stdlib.h>
#include <string.h>

#include "xform_int.h"

/* ---- Filter -------------------------------------------------------------------- */

static sl_err_t filter_apply(void *p, sl_connect_record_t *rec, bool sink, sl_connect_mem_t *mem,
                             bool *drop, char *reason, size_t rlen)
{
    (void)p;
    (void)rec;
    (void)sink;
    (void)mem;
    (void)reason;
    (void)rlen;
    *drop = true;
    return SL_OK;
}

const sl_xform_def_t sl_xform_filter = {
    .name = "Filter",
    .kafka_class = SL_XFORM_PKG "Filter",
    .apply = filter_apply,
};

/* ---- TopicNameMatches ------------------------------------------------------------- */

static const sl_xform_key_t topic_matches_keys[] = {
    {"pattern", SL_CFG_STRING, NULL, true, SL_IMPORTANCE_MEDIUM,
     "A regular expression (POSIX extended) for matching against the name of a record's "
     "topic."},
};

static void topic_matches_free(void *p)
{
    sl_xform_regex_free(p);
    free(p);
}

static sl_err_t topic_matches_make(const sl_xform_cfg_t *cfg, void **out, char *errbuf,
                                   size_t errlen)
{
    const char *pattern = sl_xform_get(cfg, "pattern");
    if (!*pattern)
        return sl_xform_bad(cfg, "pattern", "", errbuf, errlen, "String must be non-empty");
    sl_xform_regex_t *re = calloc(1, sizeof(*re));
    if (!re)
        return SL_ERR_NOMEM;
    char why[256];
    sl_err_t err = sl_xform_regex_compile(re, pattern, why, sizeof(why));
    if (err) {
        free(re);
        return err == SL_ERR_CONFIG
                   ? sl_xform_bad(cfg, "pattern", pattern, errbuf, errlen,
                                  "entry must be a regular expression: %s", why)
                   : err;
    }
    *out = re;
    return SL_OK;
}

static bool topic_matches_test(void *p, const sl_connect_record_t *rec)
{
    return rec->topic && sl_xform_regex_matches(p, rec->topic, strlen(rec->topic), NULL, 0);
}

const sl_xform_def_t sl_xform_topic_name_matches = {
    .name = "TopicNameMatches",
    .kafka_class = SL_XFORM_PRED_PKG "TopicNameMatches",
    .predicate = true,
    .keys = topic_matches_keys,
    .key_count = 1,
    .make = topic_matches_make,
    .free = topic_matches_free,
    .test = topic_matches_test,
};

/* ---- HasHeaderKey ------------------------------------------------------------------- */

static const sl_xform_key_t has_header_keys[] = {
    {"name", SL_CFG_STRING, NULL, false, SL_IMPORTANCE_MEDIUM, "The header name."},
};

static sl_err_t has_header_make(const sl_xform_cfg_t *cfg, void **out, char *errbuf,
                                size_t errlen)
{
    const char *name = sl_xform_get(cfg, "name");
    if (name && !*name)
        return sl_xform_bad(cfg, "name", "", errbuf, errlen, "String must be non-empty");
    /* Unset: no header has a null key, so nothing matches (as Kafka). */
    if (name && !(*out = strdup(name)))
        return SL_ERR_NOMEM;
    return SL_OK;
}

static bool has_header_test(void *p, const sl_connect_record_t *rec)
{
    for (size_t i = 0; p && i < rec->header_count; i++)
        if (rec->headers[i].key && strcmp(rec->headers[i].key, p) == 0)
            return true;
    return false;
}

const sl_xform_def_t sl_xform_has_header_key = {
    .name = "HasHeaderKey",
    .kafka_class = SL_XFORM_PRED_PKG "HasHeaderKey",
    .predicate = true,
    .keys = has_header_keys,
    .key_count = 1,
    .make = has_header_make,
    .free = free,
    .test = has_header_test,
};

/* ---- RecordIsTombstone ----------------------------------------------------------------- */

static bool tombstone_test(void *p, const sl_connect_record_t *rec)
{
    (void)p;
    return !rec->value || rec->value->type == SL_CT_NULL;
}

const sl_xform_def_t sl_xform_record_is_tombstone = {
    .name = "RecordIsTombstone",
    .kafka_class = SL_XFORM_PRED_PKG "RecordIsTombstone",
    .predicate = true,
    .test = tombstone_test,
};
