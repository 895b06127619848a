/*
 * config_int.h - private to broker/config_*.c: the typed description of a
 * configuration key (type, default, validator, one line of documentation)
 * shared by the server keys and the topic keys, and the value checker that
 * turns a raw string into Kafka's canonical form or says why it is wrong.
 */
#ifndef SL_BROKER_CONFIG_INT_H
#define SL_BROKER_CONFIG_INT_H

#include "config.h"

/* Extra validation beyond the type. */
typedef enum cfg_check {
    CK_NONE = 0,
    CK_RANGE,        /* numbers: min <= v <= max */
    CK_ENUM,         /* string: one of choices ("a|b|c"), exact case */
    CK_LIST_ENUM,    /* list: each item one of choices */
    CK_RATIO,        /* double: 0 <= v <= 1 */
    CK_LISTENERS,    /* NAME://HOST:PORT[,...] */
    CK_PROTOCOL_MAP, /* NAME:PROTOCOL[,...] */
    CK_NAME_LIST,    /* list of listener names */
    CK_PATHS,        /* non-empty comma list of directories */
    CK_FORMAT_VERSION, /* Kafka release such as 2.8 or 3.0-IV1 */
    CK_THROTTLED,    /* "*" or PARTITION:BROKER[,...] */
} cfg_check_t;

/* What Sluice does with a key. */
typedef enum cfg_use {
    USE_ACTIVE = 0,  /* read and acted on */
    USE_STORED,      /* validated and reported (DescribeConfigs), not acted on yet */
} cfg_use_t;

typedef struct cfg_spec {
    const char *name;
    sl_cfg_type_t type;
    const char *def;      /* default in canonical form; NULL: no value (null) */
    cfg_check_t check;
    int64_t min, max;     /* CK_RANGE bounds */
    const char *choices;  /* CK_ENUM / CK_LIST_ENUM: "a|b|c" */
    cfg_use_t use;
    const char *doc;
} cfg_spec_t;

/* Checks raw (borrowed) against spec. On success returns true and, when out
 * is given, appends the canonical form to it (trimmed; numbers in plain
 * decimal; booleans lower case; list items trimmed and joined by ","). On
 * failure returns false and writes the reason ("must be at least 14") to why. */
bool cfg_value_check(const cfg_spec_t *spec, const char *raw, sl_buf_t *out, char *why, size_t whylen);

/* Strict decimal integer (optional sign, digits, surrounding blanks ignored),
 * as Java's Long.parseLong after trim(). */
bool cfg_parse_i64(const char *s, int64_t *out);
/* "true"/"false" in any case, surrounding blanks ignored. */
bool cfg_parse_bool(const char *s, bool *out);

/* One listener of a listeners list. */
typedef struct cfg_listener {
    char name[64];    /* upper-cased listener name */
    char host[256];   /* without brackets; "" when not given */
    uint16_t port;
} cfg_listener_t;

/* Parses "NAME://HOST:PORT,..." into at most max entries; false with why on
 * bad syntax, more than max entries or a repeated name. */
bool cfg_parse_listeners(const char *s, cfg_listener_t *out, int max, int *n, char *why, size_t whylen);

/* The server key spec named name, or NULL. */
const cfg_spec_t *cfg_server_spec(const char *name);

/* Writes s into buf (size n) with control and non-ASCII bytes shown as
 * \xHH and at most max characters of s (then "..."): for echoing untrusted
 * names in messages. */
void cfg_quote(char *buf, size_t n, const char *s, size_t len, size_t max);

#endif /* SL_BROKER_CONFIG_INT_H */
