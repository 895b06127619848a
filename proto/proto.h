/*
 * proto.h - the manual of libsluice-proto: the Kafka wire codec. No I/O.
 *
 *   values     sl_kstr_t, sl_kbytes_t, sl_uuid_t and array types
 *   messages   one C struct per Kafka message (all 68 requests and responses of
 *              Kafka 3.4, both headers and the "data" schemas such as
 *              ConsumerProtocolSubscription), generated into gen/ by
 *              tools/protogen, with init/decode/encode per message
 *   reflection descriptors of every struct and field, for generic tools
 *   api table  per api key: name, versions, first flexible version, codecs
 *   headers    request/response headers and whole frames
 *
 * Generated functions, for a message M (e.g. FetchRequest) and each nested
 * struct S of it (e.g. sl_FetchRequest_FetchTopic_t):
 *
 *   void sl_M_init(sl_M_t *m);      sets every field to its schema default:
 *                                   numbers as given (0 when none), strings to
 *                                   "" or null, arrays empty (count 0) or null
 *   void sl_M_S_init(sl_M_S_t *m);  the same for one element of a nested struct
 *
 *   sl_err_t sl_M_decode(sl_rd_t *rd, int16_t version, sl_arena_t *arena, sl_M_t *out);
 *       Reads one M of the given version from rd. Zero-copy: strings, bytes
 *       and records in *out point into the reader's bytes, which must outlive
 *       *out; strings are NOT NUL-terminated. Arrays are allocated from arena
 *       (required), and only after checking that the announced count fits in
 *       the bytes left, so hostile counts fail before any allocation. Fields
 *       absent in this version get their defaults; unknown tagged fields are
 *       skipped. Trailing bytes after the message are left unread.
 *       Returns SL_OK; SL_ERR_UNSUPPORTED_VERSION (version outside the valid
 *       range, nothing read); SL_ERR_TRUNCATED (input ended early, or a length
 *       or count announces more than is left); SL_ERR_PARSE (a negative length
 *       other than -1, a null in a version where the field is not nullable, an
 *       overlong varint); SL_ERR_NOMEM (arena exhausted or past its limit).
 *       After an error *out is partly filled and the reader's position and end
 *       are unspecified: drop both.
 *
 *   sl_err_t sl_M_encode(sl_buf_t *buf, int16_t version, const sl_M_t *m);
 *       Appends M in the given version to buf (borrows m). Fields the version
 *       lacks are dropped when they hold their default or are marked ignorable
 *       in the schema; otherwise the encode fails with SL_ERR_UNSUPPORTED, as
 *       Kafka's own serializer does. Tagged fields are written only when they
 *       differ from their default.
 *       Returns SL_OK; SL_ERR_UNSUPPORTED_VERSION; SL_ERR_UNSUPPORTED (above);
 *       SL_ERR_INVAL (a null in a version where the field is not nullable, a
 *       length below -1, a classic string longer than 32767 bytes, an array
 *       with count > 0 and no items); SL_ERR_NOMEM. On any error other than
 *       SL_ERR_NOMEM the buffer is cut back to its length before the call.
 *
 *   extern const sl_msg_desc_t sl_M_desc;   the message's reflection entry
 *
 * Field names are Kafka's, unchanged (sl_FetchRequest_t.ReplicaId). Each
 * generated header comments the versions, nullability, tag and default of
 * every field.
 */
#ifndef SL_PROTO_H
#define SL_PROTO_H

#include <string.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Wire values
 * ====================================================================== */

/* A Kafka string: len bytes at ptr, not NUL-terminated. len -1 means null
 * (ptr NULL). Decoded strings borrow the input bytes. */
typedef struct sl_kstr {
    const char *ptr;
    int32_t len;
} sl_kstr_t;

/* Kafka bytes (and the records type): len -1 means null. Borrowed like
 * sl_kstr_t. */
typedef struct sl_kbytes {
    const uint8_t *ptr;
    int32_t len;
} sl_kbytes_t;

/* Kafka's 16-byte UUID, in wire order. All zero is Kafka's ZERO_UUID, the
 * default of every uuid field. */
typedef struct sl_uuid {
    uint8_t b[16];
} sl_uuid_t;

/* Arrays: count elements at items; count -1 means null (items NULL); count 0
 * may have items NULL. Decoded arrays live in the decode arena. Every array
 * type, generated ones included, has exactly this layout, so generic code
 * may view any of them as sl_array_t. */
typedef struct sl_array {
    int32_t count;
    void *items;
} sl_array_t;

#define SL_ARRAY_TYPE(name, T) \
    typedef struct name { int32_t count; T *items; } name##_t
SL_ARRAY_TYPE(sl_bool_array, bool);
SL_ARRAY_TYPE(sl_int8_array, int8_t);
SL_ARRAY_TYPE(sl_int16_array, int16_t);
SL_ARRAY_TYPE(sl_uint16_array, uint16_t);
SL_ARRAY_TYPE(sl_int32_array, int32_t);
SL_ARRAY_TYPE(sl_uint32_array, uint32_t);
SL_ARRAY_TYPE(sl_int64_array, int64_t);
SL_ARRAY_TYPE(sl_float64_array, double);
SL_ARRAY_TYPE(sl_uuid_array, sl_uuid_t);
SL_ARRAY_TYPE(sl_kstr_array, sl_kstr_t);
SL_ARRAY_TYPE(sl_kbytes_array, sl_kbytes_t);
#undef SL_ARRAY_TYPE

/* A string over a NUL-terminated C string (borrowed; NULL gives null). */
static inline sl_kstr_t sl_kstr(const char *s)
{
    sl_kstr_t k = {s, s ? (int32_t)strlen(s) : -1};
    return k;
}
static inline sl_kstr_t sl_kstr_n(const char *s, int32_t len)
{
    sl_kstr_t k = {s, len};
    return k;
}
static inline sl_kstr_t sl_kstr_null(void)
{
    sl_kstr_t k = {NULL, -1};
    return k;
}
static inline bool sl_kstr_is_null(sl_kstr_t s) { return s.len < 0; }
/* true when s is not null and equals the C string c. */
static inline bool sl_kstr_eq(sl_kstr_t s, const char *c)
{
    size_t n = strlen(c);
    return s.len >= 0 && (size_t)s.len == n && (n == 0 || memcmp(s.ptr, c, n) == 0);
}
/* A NUL-terminated copy in arena, or NULL for a null string or no memory. */
char *sl_kstr_dup(sl_arena_t *arena, sl_kstr_t s);

/* ======================================================================
 * Reflection: every generated struct has a descriptor listing its fields
 * in wire order. Used by the round-trip tests and the protocol dump tool.
 * ====================================================================== */

/* Kinds of field values; for arrays, the kind of the elements. */
typedef enum sl_kind {
    SL_K_BOOL = 1,  /* bool */
    SL_K_INT8,      /* int8_t */
    SL_K_INT16,     /* int16_t */
    SL_K_UINT16,    /* uint16_t */
    SL_K_INT32,     /* int32_t */
    SL_K_UINT32,    /* uint32_t */
    SL_K_INT64,     /* int64_t */
    SL_K_FLOAT64,   /* double */
    SL_K_UUID,      /* sl_uuid_t */
    SL_K_STRING,    /* sl_kstr_t */
    SL_K_BYTES,     /* sl_kbytes_t */
    SL_K_RECORDS,   /* sl_kbytes_t holding record batches (see records.h) */
    SL_K_STRUCT     /* a generated struct, see sl_field_desc_t.sdesc */
} sl_kind_t;

/* The C size of one value of kind k (sizeof(int32_t) for SL_K_INT32,
 * sizeof(sl_kstr_t) for strings...); 0 for SL_K_STRUCT (see sdesc->size) and
 * unknown kinds. */
size_t sl_kind_size(sl_kind_t k);

/* An inclusive range of versions. lo > hi means "no version"; the open end
 * of "N+" is stored as hi = SL_VERSION_OPEN. */
typedef struct sl_vrange {
    int16_t lo, hi;
} sl_vrange_t;
#define SL_VERSION_OPEN INT16_MAX
static inline bool sl_vrange_has(sl_vrange_t r, int16_t v) { return v >= r.lo && v <= r.hi; }

typedef struct sl_struct_desc sl_struct_desc_t;

typedef struct sl_field_desc {
    const char *name;      /* Kafka's field name */
    uint8_t kind;          /* sl_kind_t (of the elements, for arrays) */
    bool array;            /* field is an array of kind */
    bool ignorable;        /* may be dropped when a version lacks it */
    bool default_null;     /* default is null (strings, bytes, arrays) */
    uint32_t offset;       /* offsetof the member in its struct */
    sl_vrange_t versions;  /* versions in which the field is on the wire */
    sl_vrange_t nullable;  /* versions in which it may be null */
    sl_vrange_t tagged;    /* versions in which it goes in the tagged section */
    sl_vrange_t flexible;  /* versions with compact lengths for this field */
    int32_t tag;           /* tag number, -1 when never tagged */
    int64_t default_int;   /* default of bool and integer kinds */
    double default_f64;    /* default of float64 */
    const char *default_str; /* default of a string unless default_null */
    const sl_struct_desc_t *sdesc; /* struct kind: the element's struct */
} sl_field_desc_t;

struct sl_struct_desc {
    const char *name;       /* "FetchRequest", "FetchRequest_FetchTopic" */
    uint32_t size;          /* sizeof the C struct */
    uint32_t nfields;
    const sl_field_desc_t *fields;
    void (*init)(void *m);  /* sets the defaults, as sl_..._init */
};

typedef enum sl_msg_type {
    SL_MSG_REQUEST = 1,
    SL_MSG_RESPONSE,
    SL_MSG_HEADER,
    SL_MSG_DATA
} sl_msg_type_t;

/* Type-erased codecs: void * is the message's generated struct. */
typedef void sl_msg_init_fn(void *m);
typedef sl_err_t sl_msg_decode_fn(sl_rd_t *rd, int16_t version, sl_arena_t *arena, void *out);
typedef sl_err_t sl_msg_encode_fn(sl_buf_t *buf, int16_t version, const void *m);

typedef struct sl_msg_desc {
    const char *name;       /* "FetchRequest", "RequestHeader", ... */
    uint8_t type;           /* sl_msg_type_t */
    int16_t api_key;        /* -1 for headers and data schemas */
    sl_vrange_t versions;   /* valid versions */
    sl_vrange_t flexible;   /* flexible versions (lo > hi: none) */
    uint32_t size;          /* sizeof the message struct */
    const sl_struct_desc_t *root;
    sl_msg_init_fn *init;
    sl_msg_decode_fn *decode;
    sl_msg_encode_fn *encode;
} sl_msg_desc_t;

/* ======================================================================
 * API table
 * ====================================================================== */

/* Kafka listener types serving an API (the schema's "listeners"). */
#define SL_LISTENER_ZK_BROKER 0x1
#define SL_LISTENER_BROKER 0x2
#define SL_LISTENER_CONTROLLER 0x4

typedef struct sl_api {
    int16_t key;                  /* 0 = Produce, 1 = Fetch, ... */
    const char *name;             /* "Produce", "Fetch", ... */
    int16_t min_version, max_version;
    int16_t flex_version;         /* first flexible version, -1 when none */
    uint8_t listeners;            /* SL_LISTENER_* bits */
    const sl_msg_desc_t *request;
    const sl_msg_desc_t *response;
} sl_api_t;

/* The api with this key, or NULL when Kafka 3.4 defines none. Static. */
const sl_api_t *sl_api_get(int16_t api_key);
/* Number of apis, and the i-th in ascending key order (NULL past the end). */
size_t sl_api_count(void);
const sl_api_t *sl_api_at(size_t i);
/* true when api_key is known and version is in its valid range. */
bool sl_api_version_ok(int16_t api_key, int16_t version);
/* true when that request/response version uses the flexible encoding. */
bool sl_api_is_flexible(int16_t api_key, int16_t version);

/* Every generated message (requests, responses, headers, data schemas), in
 * name order; NULL past the end. */
size_t sl_msg_count(void);
const sl_msg_desc_t *sl_msg_at(size_t i);
/* The message named name ("MetadataRequest"), or NULL. */
const sl_msg_desc_t *sl_msg_find(const char *name);

/* Generated message types and functions (see the top of this file). */
#include "gen/messages.h"

/* ======================================================================
 * Headers and frames
 *
 * A request frame is int32 size, request header, body; a response frame is
 * int32 size, response header, body. Request header v0 has ApiKey,
 * ApiVersion, CorrelationId; v1 adds ClientId (classic nullable string, even
 * in v2); v2 adds a tagged-field section. Response header v0 is the
 * CorrelationId; v1 adds a tagged-field section.
 * ====================================================================== */

typedef struct sl_req_hdr {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    sl_kstr_t client_id;  /* borrowed from the frame; null in header v0 */
    int16_t hdr_version;  /* 0, 1 or 2: how it was (or will be) encoded */
} sl_req_hdr_t;

/* The request header version for this request: 2 when the request version is
 * flexible, else 1; ControlledShutdown v0 uses 0. Unknown api keys: 1. A
 * version above the api's range still follows its flexible rule, as Kafka
 * does, so a newer client's ApiVersions request header can be read. */
int16_t sl_req_hdr_version(int16_t api_key, int16_t api_version);
/* The response header version: 1 when flexible, else 0; ApiVersions
 * responses always use 0 (KIP-511) and so do unknown api keys. */
int16_t sl_resp_hdr_version(int16_t api_key, int16_t api_version);

/* Reads a request header: ApiKey and ApiVersion first, then the rest as the
 * derived header version says. Unknown api keys are read as header v1 so the
 * broker can still answer. out->client_id borrows rd's bytes. Unknown tagged
 * fields are skipped. Returns SL_OK, SL_ERR_TRUNCATED or SL_ERR_PARSE. */
sl_err_t sl_req_hdr_decode(sl_rd_t *rd, sl_req_hdr_t *out);
/* Appends the request header in sl_req_hdr_version(api_key, api_version)
 * (h->hdr_version is ignored). Returns SL_OK, SL_ERR_INVAL or SL_ERR_NOMEM. */
sl_err_t sl_req_hdr_encode(sl_buf_t *buf, const sl_req_hdr_t *h);
/* Response header of the given version (0 or 1). SL_ERR_INVAL for others. */
sl_err_t sl_resp_hdr_decode(sl_rd_t *rd, int16_t hdr_version, int32_t *correlation_id);
sl_err_t sl_resp_hdr_encode(sl_buf_t *buf, int16_t hdr_version, int32_t correlation_id);

/* A decoded request frame. */
typedef struct sl_request {
    bool hdr_ok;             /* header decoded: an error response is possible */
    sl_req_hdr_t hdr;
    const sl_api_t *api;     /* NULL when the api key is unknown */
    void *body;              /* the sl_<Api>Request_t, in the arena; NULL on error */
} sl_request_t;

/* Decodes a request frame without its 4-byte size prefix: frame[0..len)
 * (borrowed, and borrowed again by out->hdr.client_id and the body). The body
 * struct is allocated from arena; bytes after the body are ignored, as Kafka
 * does. Returns SL_OK; the header errors of
 * sl_req_hdr_decode with hdr_ok false (the connection cannot be answered);
 * or, with hdr_ok true: SL_ERR_INVALID_REQUEST for an unknown api key,
 * SL_ERR_UNSUPPORTED_VERSION, and the body decode errors. */
sl_err_t sl_request_decode(const uint8_t *frame, size_t len, sl_arena_t *arena, sl_request_t *out);
/* Appends a whole request frame: size prefix, header (version derived from
 * hdr's api key and version) and body (the sl_<Api>Request_t of hdr->api_key).
 * Returns SL_OK, SL_ERR_INVALID_REQUEST (unknown api key), the body encode
 * errors or SL_ERR_NOMEM; on errors other than NOMEM buf is cut back. */
sl_err_t sl_request_encode(sl_buf_t *buf, const sl_req_hdr_t *hdr, const void *body);
/* Appends a whole response frame: size prefix, response header (version from
 * sl_resp_hdr_version) and body (the sl_<Api>Response_t of api_key), with the
 * size patched in at the end. Errors as sl_request_encode. */
sl_err_t sl_response_encode(sl_buf_t *buf, int16_t api_key, int16_t api_version,
                            int32_t correlation_id, const void *body);
/* Reads a response frame without its size prefix: header (version from
 * sl_resp_hdr_version) and body into an arena-allocated sl_<Api>Response_t.
 * Errors as sl_request_decode (SL_ERR_INVALID_REQUEST for unknown keys). */
sl_err_t sl_response_decode(const uint8_t *frame, size_t len, int16_t api_key, int16_t api_version,
                            sl_arena_t *arena, int32_t *correlation_id, void **body);

#ifdef __cplusplus
}
#endif

/* Record batches (proto/records.h), when present. */
#if __has_include("records.h")
#include "records.h"
#endif

#endif /* SL_PROTO_H */
