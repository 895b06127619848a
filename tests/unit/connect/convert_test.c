/*
 * convert_test.c - the converters: string and bytes pass bytes through,
 * JSON with schemas writes and reads Kafka's {"schema":...,"payload":...}
 * envelope, JSON without schemas maps JSON onto schemaless values, and
 * malformed input gets a clear error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connect.h"

static const sl_connect_host_t *H;

static sl_connect_converter_t *conv(const char *name, const char *settings)
{
    sl_props_t *p = NULL;
    assert_int_equal(sl_props_parse(settings, strlen(settings), "t", &p, NULL, 0), SL_OK);
    sl_connect_converter_t *c = NULL;
    char err[256];
    assert_int_equal(sl_connect_converter_new(name, p, "value.converter.", &c, err, sizeof(err)),
                     SL_OK);
    sl_props_free(p);
    return c;
}

/* Serialises and returns the text (static buffer). */
static const char *write_text(sl_connect_converter_t *c, const sl_cschema_t *s,
                              const sl_cvalue_t *v)
{
    static char text[4096];
    sl_buf_t b = SL_BUF_INIT;
    bool is_null = true;
    char err[256];
    assert_int_equal(sl_connect_converter_from_value(c, s, v, &b, &is_null, err, sizeof(err)), SL_OK);
    assert_false(is_null);
    assert_true(b.len < sizeof(text));
    memcpy(text, b.data, b.len);
    text[b.len] = '\0';
    sl_buf_free(&b);
    return text;
}

static void converter_string_and_bytes_pass_bytes_through(void **state)
{
    (void)state;
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_connect_converter_t *s = conv("org.apache.kafka.connect.storage.StringConverter", "");
    sl_connect_converter_t *b = conv("bytes", "");
    assert_string_equal(write_text(s, NULL, H->val_string(mem, "héllo", 6)), "héllo");
    assert_string_equal(write_text(s, NULL, H->val_int(mem, SL_CT_INT32, -42)), "-42");
    const sl_cschema_t *sch;
    const sl_cvalue_t *v;
    assert_int_equal(sl_connect_converter_to_value(s, "abc", 3, mem, &sch, &v, NULL, 0), SL_OK);
    assert_int_equal(sch->type, SL_CT_STRING);
    assert_true(sch->optional);
    assert_int_equal(v->type, SL_CT_STRING);
    assert_string_equal(v->u.bytes.ptr, "abc");
    assert_int_equal(sl_connect_converter_to_value(b, NULL, 0, mem, &sch, &v, NULL, 0), SL_OK);
    assert_null(v);
    sl_buf_t out = SL_BUF_INIT;
    bool is_null = false;
    char err[256];
    assert_int_equal(sl_connect_converter_from_value(b, NULL, NULL, &out, &is_null, NULL, 0), SL_OK);
    assert_true(is_null);
    assert_int_equal(sl_connect_converter_from_value(b, NULL, H->val_string(mem, "x", 1), &out,
                                                     &is_null, err, sizeof(err)), SL_ERR_INVAL);
    assert_non_null(strstr(err, "takes bytes, not a string"));
    assert_int_equal(sl_connect_converter_from_value(s, NULL, H->val_new(mem, SL_CT_ARRAY), &out,
                                                     &is_null, err, sizeof(err)), SL_ERR_INVAL);
    sl_buf_free(&out);
    sl_connect_converter_free(s);
    sl_connect_converter_free(b);
    sl_connect_mem_free(mem);
}

/* A struct schema {id int32, name string optional, tags array<string>,
 * blob bytes} and a value of it. */
static const sl_cvalue_t *sample(sl_connect_mem_t *mem, sl_cschema_t **out_schema)
{
    sl_cschema_t *st = H->schema_new(mem, SL_CT_STRUCT, 0, "test.User");
    sl_cschema_t *tags = H->schema_new(mem, SL_CT_ARRAY, 0, NULL);
    assert_int_equal(H->schema_set_items(tags, NULL, H->schema_new(mem, SL_CT_STRING, 0, NULL)), 0);
    assert_int_equal(H->schema_add_field(mem, st, "id", H->schema_new(mem, SL_CT_INT32, 0, NULL)), 0);
    assert_int_equal(H->schema_add_field(mem, st, "name", H->schema_new(mem, SL_CT_STRING, 1, NULL)), 0);
    assert_int_equal(H->schema_add_field(mem, st, "tags", tags), 0);
    assert_int_equal(H->schema_add_field(mem, st, "blob", H->schema_new(mem, SL_CT_BYTES, 0, NULL)), 0);
    sl_cvalue_t *v = H->val_new(mem, SL_CT_STRUCT);
    sl_cvalue_t *arr = H->val_new(mem, SL_CT_ARRAY);
    assert_int_equal(H->val_put(mem, arr, NULL, H->val_string(mem, "a", 1)), 0);
    assert_int_equal(H->val_put(mem, arr, NULL, H->val_string(mem, "b\"c", 3)), 0);
    assert_int_equal(H->val_put(mem, v, H->val_string(mem, "id", 2), H->val_int(mem, SL_CT_INT32, 7)), 0);
    assert_int_equal(H->val_put(mem, v, H->val_string(mem, "name", 4), H->val_null(mem)), 0);
    assert_int_equal(H->val_put(mem, v, H->val_string(mem, "tags", 4), arr), 0);
    assert_int_equal(H->val_put(mem, v, H->val_string(mem, "blob", 4), H->val_bytes(mem, "\x00\xff\x10", 3)), 0);
    *out_schema = st;
    return v;
}

static const char sample_json[] =
    "{\"schema\":{\"type\":\"struct\",\"fields\":["
    "{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"},"
    "{\"type\":\"string\",\"optional\":true,\"field\":\"name\"},"
    "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":false},\"optional\":false,"
    "\"field\":\"tags\"},"
    "{\"type\":\"bytes\",\"optional\":false,\"field\":\"blob\"}],"
    "\"optional\":false,\"name\":\"test.User\"},"
    "\"payload\":{\"id\":7,\"name\":null,\"tags\":[\"a\",\"b\\\"c\"],\"blob\":\"AP8Q\"}}";

static void converter_json_writes_and_reads_the_schema_envelope(void **state)
{
    (void)state;
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_connect_converter_t *j = conv("json", "");
    sl_cschema_t *schema;
    const sl_cvalue_t *v = sample(mem, &schema);
    assert_string_equal(write_text(j, schema, v), sample_json);
    const sl_cschema_t *rs;
    const sl_cvalue_t *rv;
    char err[256];
    assert_int_equal(sl_connect_converter_to_value(j, sample_json, strlen(sample_json), mem, &rs,
                                                   &rv, err, sizeof(err)), SL_OK);
    assert_int_equal(rs->type, SL_CT_STRUCT);
    assert_string_equal(rs->name, "test.User");
    assert_int_equal(rs->field_count, 4);
    assert_int_equal(H->struct_get(rv, "id")->type, SL_CT_INT32);
    assert_int_equal(H->struct_get(rv, "id")->u.i, 7);
    assert_int_equal(H->struct_get(rv, "name")->type, SL_CT_NULL);
    const sl_cvalue_t *blob = H->struct_get(rv, "blob");
    assert_int_equal(blob->u.bytes.len, 3);
    assert_memory_equal(blob->u.bytes.ptr, "\x00\xff\x10", 3);
    /* The same bytes again: a lossless round trip. */
    assert_string_equal(write_text(j, rs, rv), sample_json);
    sl_connect_converter_free(j);
    sl_connect_mem_free(mem);
}

static void converter_json_without_schemas_maps_json_values(void **state)
{
    (void)state;
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_connect_converter_t *j = conv("json", "value.converter.schemas.enable=false\n");
    const char *text = "{\"a\":1,\"b\":[true,2.5,null],\"c\":\"x\"}";
    const sl_cschema_t *rs;
    const sl_cvalue_t *rv;
    assert_int_equal(sl_connect_converter_to_value(j, text, strlen(text), mem, &rs, &rv, NULL, 0),
                     SL_OK);
    assert_null(rs);
    assert_int_equal(rv->type, SL_CT_MAP);
    assert_int_equal(rv->u.map.count, 3);
    assert_int_equal(rv->u.map.pairs[0].value->type, SL_CT_INT64);
    const sl_cvalue_t *b = rv->u.map.pairs[1].value;
    assert_int_equal(b->type, SL_CT_ARRAY);
    assert_int_equal(b->u.array.items[1]->type, SL_CT_FLOAT64);
    assert_string_equal(write_text(j, NULL, rv), text);
    /* A null value is a null on the wire; a string is a JSON string. */
    sl_buf_t out = SL_BUF_INIT;
    bool is_null = false;
    assert_int_equal(sl_connect_converter_from_value(j, NULL, NULL, &out, &is_null, NULL, 0), SL_OK);
    assert_true(is_null);
    sl_buf_free(&out);
    assert_string_equal(write_text(j, NULL, H->val_string(mem, "q", 1)), "\"q\"");
    sl_connect_converter_free(j);
    sl_connect_mem_free(mem);
}

static void converter_json_null_payload_keeps_its_schema(void **state)
{
    (void)state;
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_connect_converter_t *j = conv("json", "");
    sl_cschema_t *s = H->schema_new(mem, SL_CT_INT64, 1, NULL);
    assert_string_equal(write_text(j, s, NULL),
                        "{\"schema\":{\"type\":\"int64\",\"optional\":true},\"payload\":null}");
    const char *in = "{\"schema\":null,\"payload\":{\"k\":1}}";
    const sl_cschema_t *rs;
    const sl_cvalue_t *rv;
    assert_int_equal(sl_connect_converter_to_value(j, in, strlen(in), mem, &rs, &rv, NULL, 0), SL_OK);
    assert_null(rs);
    assert_int_equal(rv->type, SL_CT_MAP);
    sl_connect_converter_free(j);
    sl_connect_mem_free(mem);
}

/* Expects text to be refused with a sentence containing why. */
static void refused(sl_connect_converter_t *j, const char *text, const char *why)
{
    sl_connect_mem_t *mem = sl_connect_mem_new();
    const sl_cschema_t *rs;
    const sl_cvalue_t *rv;
    char err[256] = "";
    assert_int_equal(sl_connect_converter_to_value(j, text, strlen(text), mem, &rs, &rv, err,
                                                   sizeof(err)), SL_ERR_PARSE);
    if (!strstr(err, why))
        fail_msg("\"%s\" refused with \"%s\", expected \"%s\"", text, err, why);
    sl_connect_mem_free(mem);
}

static void converter_json_refuses_bad_input_clearly(void **state)
{
    (void)state;
    sl_connect_converter_t *j = conv("json", "");
    refused(j, "{\"payload\":1", "not JSON");
    refused(j, "{\"payload\":1}", "requires \"schema\" and \"payload\"");
    refused(j, "{\"schema\":null,\"payload\":1,\"x\":2}", "may not contain additional fields");
    refused(j, "{\"schema\":{\"type\":\"int8\"},\"payload\":300}", "300 does not fit int8");
    refused(j, "{\"schema\":{\"type\":\"int32\"},\"payload\":\"7\"}",
            "a JSON string where the schema says int32");
    refused(j, "{\"schema\":{\"type\":\"int32\"},\"payload\":null}", "not optional");
    refused(j, "{\"schema\":{\"type\":\"float32x\"},\"payload\":1}", "known \"type\"");
    refused(j, "{\"schema\":{\"type\":\"bytes\"},\"payload\":\"A=A=\"}", "not valid base64");
    refused(j, "{\"schema\":{\"type\":\"struct\"},\"payload\":{}}", "without a \"fields\" array");
    refused(j, "{\"schema\":{\"type\":\"array\"},\"payload\":[]}", "without \"items\"");
    sl_connect_converter_free(j);
    /* Nesting past the limit is refused, not recursed into. */
    sl_connect_converter_t *plain = conv("json", "value.converter.schemas.enable=false\n");
    char deep[400];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = '\0';
    refused(plain, deep, "deeper than 64 levels");
    sl_connect_converter_free(plain);
}

static void converter_names_and_settings_are_checked(void **state)
{
    (void)state;
    sl_connect_converter_t *c = NULL;
    char err[256];
    assert_int_equal(sl_connect_converter_new("avro", NULL, "value.converter.", &c, err, sizeof(err)),
                     SL_ERR_CONFIG);
    assert_non_null(strstr(err, "unknown converter \"avro\""));
    sl_props_t *p = NULL;
    assert_int_equal(sl_props_parse("value.converter.schemas.enable=maybe\n", 37, "t", &p, NULL, 0),
                     SL_OK);
    assert_int_equal(sl_connect_converter_new("json", p, "value.converter.", &c, err, sizeof(err)),
                     SL_ERR_CONFIG);
    assert_non_null(strstr(err, "value.converter.schemas.enable"));
    sl_props_free(p);
    assert_null(c);
}

int main(void)
{
    H = sl_connect_host();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(converter_string_and_bytes_pass_bytes_through),
        cmocka_unit_test(converter_json_writes_and_reads_the_schema_envelope),
        cmocka_unit_test(converter_json_without_schemas_maps_json_values),
        cmocka_unit_test(converter_json_null_payload_keeps_its_schema),
        cmocka_unit_test(converter_json_refuses_bad_input_clearly),
        cmocka_unit_test(converter_names_and_settings_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
