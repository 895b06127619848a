/*
 * postgres_test.c - PostgresSink's server-free parts (connect/connectors/
 * postgres_int.h): Connect types as PostgreSQL column types, quoted
 * identifiers, the CREATE TABLE / ALTER TABLE / INSERT .. ON CONFLICT /
 * DELETE text for each pk.mode and insert.mode, option checks, shapes from
 * schemas and whether later records fit them, values as text and binary
 * parameters (and dropping written rows), upsert's last row per key,
 * table.name.format and connection.url.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "postgres_int.h"

/* ---- records built from static schemas and values --------------------------------- */

static const sl_cschema_t s_int64 = {.type = SL_CT_INT64};
static const sl_cschema_t s_int32 = {.type = SL_CT_INT32};
static const sl_cschema_t s_string = {.type = SL_CT_STRING};
static const sl_cschema_t s_ostring = {.type = SL_CT_STRING, .optional = 1};
static const sl_cschema_t s_bytes = {.type = SL_CT_BYTES, .optional = 1};
static const sl_cschema_t s_ts = {.type = SL_CT_INT64, .optional = 1,
                                  .name = "org.apache.kafka.connect.data.Timestamp"};
static const sl_cschema_t s_dec = {.type = SL_CT_BYTES, .name = "org.apache.kafka.connect.data.Decimal"};

static const sl_cfield_t user_fields[] = {
    {"id", &s_int64}, {"name", &s_ostring}, {"avatar", &s_bytes}, {"seen", &s_ts},
};
static const sl_cschema_t s_user = {.type = SL_CT_STRUCT, .fields = user_fields, .field_count = 4};
/* The same fields, one renamed. */
static const sl_cfield_t user2_fields[] = {
    {"id", &s_int64}, {"nick", &s_ostring}, {"avatar", &s_bytes}, {"seen", &s_ts},
};
static const sl_cschema_t s_user2 = {.type = SL_CT_STRUCT, .fields = user2_fields, .field_count = 4};
static const sl_cfield_t key_fields[] = {{"id", &s_int64}};
static const sl_cschema_t s_key = {.type = SL_CT_STRUCT, .fields = key_fields, .field_count = 1};
static const sl_cfield_t nested_fields[] = {{"id", &s_int64}, {"inner", &s_key}};
static const sl_cschema_t s_nested = {.type = SL_CT_STRUCT, .fields = nested_fields, .field_count = 2};
static const sl_cfield_t dec_fields[] = {{"id", &s_int64}, {"price", &s_dec}};
static const sl_cschema_t s_decrow = {.type = SL_CT_STRUCT, .fields = dec_fields, .field_count = 2};

static sl_cvalue_t vals[512];
static sl_cpair_t pairs[256];
static size_t nvals, npairs;

static sl_cvalue_t *new_val(void)
{
    assert_true(nvals < sizeof(vals) / sizeof(vals[0]));
    return &vals[nvals++];
}

static sl_cvalue_t *v_int(sl_ctype_t t, int64_t i)
{
    sl_cvalue_t *v = new_val();
    *v = (sl_cvalue_t){.type = t, .u.i = i};
    return v;
}

static sl_cvalue_t *v_str(sl_ctype_t t, const char *s, size_t len)
{
    sl_cvalue_t *v = new_val();
    *v = (sl_cvalue_t){.type = t, .u.bytes = {s, len}};
    return v;
}

static sl_cvalue_t *v_null(void)
{
    sl_cvalue_t *v = new_val();
    *v = (sl_cvalue_t){.type = SL_CT_NULL};
    return v;
}

/* A struct of schema st with the given field values in order. */
static sl_cvalue_t *v_struct(const sl_cschema_t *st, sl_cvalue_t **fv)
{
    assert_true(npairs + st->field_count <= sizeof(pairs) / sizeof(pairs[0]));
    sl_cpair_t *p = &pairs[npairs];
    for (size_t i = 0; i < st->field_count; i++) {
        const char *n = st->fields[i].name;
        pairs[npairs++] = (sl_cpair_t){v_str(SL_CT_STRING, n, strlen(n)), fv[i]};
    }
    sl_cvalue_t *v = new_val();
    *v = (sl_cvalue_t){.type = SL_CT_STRUCT, .u.map = {p, st->field_count}};
    return v;
}

static sl_connect_record_t user_rec(int64_t id, const char *name)
{
    sl_cvalue_t *fv[4] = {v_int(SL_CT_INT64, id),
                          name ? v_str(SL_CT_STRING, name, strlen(name)) : v_null(),
                          v_str(SL_CT_BYTES, "\x00\x01", 2), v_int(SL_CT_INT64, 1000)};
    sl_cvalue_t *kv[1] = {v_int(SL_CT_INT64, id)};
    return (sl_connect_record_t){.topic = "users", .partition = 2, .kafka_offset = 41,
                                 .key_schema = &s_key, .key = v_struct(&s_key, kv),
                                 .value_schema = &s_user, .value = v_struct(&s_user, fv)};
}

static int setup(void **state)
{
    (void)state;
    nvals = npairs = 0;
    return 0;
}

static pg_opts_t opts(const char *ins, const char *pk, const char *fields)
{
    pg_opts_t o;
    char err[256];
    assert_int_equal(pg_opts_parse(&o, ins, pk, fields, false, false, err, sizeof(err)), 0);
    return o;
}

static pg_shape_t *shape(const pg_opts_t *o, const sl_connect_record_t *r, bool del)
{
    pg_shape_t *s;
    char err[256];
    int rc = pg_shape_build(o, "users", r, del, &s, err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    return s;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_types(void **state)
{
    (void)state;
    assert_string_equal(pg_type_sql(SL_CT_INT8, PG_LOGICAL_NONE), "SMALLINT");
    assert_string_equal(pg_type_sql(SL_CT_INT16, PG_LOGICAL_NONE), "SMALLINT");
    assert_string_equal(pg_type_sql(SL_CT_INT32, PG_LOGICAL_NONE), "INTEGER");
    assert_string_equal(pg_type_sql(SL_CT_INT64, PG_LOGICAL_NONE), "BIGINT");
    assert_string_equal(pg_type_sql(SL_CT_FLOAT32, PG_LOGICAL_NONE), "REAL");
    assert_string_equal(pg_type_sql(SL_CT_FLOAT64, PG_LOGICAL_NONE), "DOUBLE PRECISION");
    assert_string_equal(pg_type_sql(SL_CT_BOOLEAN, PG_LOGICAL_NONE), "BOOLEAN");
    assert_string_equal(pg_type_sql(SL_CT_STRING, PG_LOGICAL_NONE), "TEXT");
    assert_string_equal(pg_type_sql(SL_CT_BYTES, PG_LOGICAL_NONE), "BYTEA");
    assert_null(pg_type_sql(SL_CT_STRUCT, PG_LOGICAL_NONE));
    assert_null(pg_type_sql(SL_CT_ARRAY, PG_LOGICAL_NONE));
    assert_null(pg_type_sql(SL_CT_MAP, PG_LOGICAL_NONE));
    assert_int_equal(pg_logical_of(SL_CT_INT64, "org.apache.kafka.connect.data.Timestamp"),
                     PG_LOGICAL_TIMESTAMP);
    assert_int_equal(pg_logical_of(SL_CT_INT32, "org.apache.kafka.connect.data.Date"),
                     PG_LOGICAL_DATE);
    assert_int_equal(pg_logical_of(SL_CT_INT32, "org.apache.kafka.connect.data.Time"),
                     PG_LOGICAL_TIME);
    /* A logical name on the wrong type, or another name: the primitive. */
    assert_int_equal(pg_logical_of(SL_CT_INT32, "org.apache.kafka.connect.data.Timestamp"),
                     PG_LOGICAL_NONE);
    assert_int_equal(pg_logical_of(SL_CT_INT64, "com.example.Id"), PG_LOGICAL_NONE);
    assert_string_equal(pg_type_sql(SL_CT_INT64, PG_LOGICAL_TIMESTAMP), "TIMESTAMP");
    assert_string_equal(pg_type_sql(SL_CT_INT32, PG_LOGICAL_DATE), "DATE");
    assert_string_equal(pg_type_sql(SL_CT_INT32, PG_LOGICAL_TIME), "TIME");
    assert_null(pg_type_sql(SL_CT_BYTES, PG_LOGICAL_DECIMAL));
}

static void test_ident(void **state)
{
    (void)state;
    pg_buf_t b = {0};
    pg_buf_ident(&b, "plain");
    pg_buf_str(&b, " ");
    pg_buf_ident(&b, "a\"b\"\"; DROP TABLE x; --");
    pg_buf_str(&b, " ");
    pg_buf_ident(&b, "");
    assert_false(b.failed);
    assert_string_equal(b.p, "\"plain\" \"a\"\"b\"\"\"\"; DROP TABLE x; --\" \"\"");
    pg_buf_free(&b);
}

static void test_options(void **state)
{
    (void)state;
    pg_opts_t o;
    char err[256];
    pg_opts_t ok = opts(NULL, NULL, NULL);
    assert_int_equal(ok.insert_mode, PG_INSERT);
    assert_int_equal(ok.pk_mode, PG_PK_NONE);
    pg_opts_free(&ok);
    ok = opts("upsert", "record_value", " id , name ");
    assert_int_equal(ok.pk_count, 2);
    assert_string_equal(ok.pk_fields[0], "id");
    assert_string_equal(ok.pk_fields[1], "name");
    pg_opts_free(&ok);

    assert_int_equal(pg_opts_parse(&o, "merge", "none", "", false, false, err, sizeof(err)),
                     SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "insert.mode"));
    assert_int_equal(pg_opts_parse(&o, "insert", "record", "", false, false, err, sizeof(err)),
                     SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "pk.mode"));
    assert_int_equal(pg_opts_parse(&o, "upsert", "none", "", false, false, err, sizeof(err)),
                     SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "primary key"));
    assert_int_equal(pg_opts_parse(&o, "insert", "record_value", "", true, false, err, sizeof(err)),
                     SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "delete.enabled"));
    assert_int_equal(pg_opts_parse(&o, "insert", "none", "", false, true, err, sizeof(err)), 0);
    assert_true(o.auto_evolve);
    pg_opts_free(&o);
    assert_int_equal(pg_opts_parse(&o, "insert", "kafka", "t,p", false, false, err, sizeof(err)),
                     SL_CONNECT_ECONFIG);
    assert_int_equal(pg_opts_parse(&o, "insert", "record_key", "a,,b", false, false, err,
                                   sizeof(err)), SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "empty"));
    assert_null(o.pk_fields);
}

static void test_record_key_upsert(void **state)
{
    (void)state;
    pg_opts_t o = opts("upsert", "record_key", "");
    sl_connect_record_t r = user_rec(7, "ann");
    pg_shape_t *s = shape(&o, &r, false);
    assert_int_equal(s->ncols, 4);   /* the value's id is the key's column */
    assert_int_equal(s->npk, 1);
    assert_string_equal(s->cols[0].name, "id");
    assert_int_equal(s->cols[0].src, PG_SRC_KEY_FIELD);
    pg_buf_t b = {0};
    pg_sql_create(&b, s);
    assert_string_equal(b.p, "CREATE TABLE IF NOT EXISTS \"users\" (\"id\" BIGINT NOT NULL, "
                        "\"name\" TEXT, \"avatar\" BYTEA, \"seen\" TIMESTAMP, "
                        "PRIMARY KEY (\"id\"))");
    pg_buf_clear(&b);
    pg_sql_add_column(&b, s, &s->cols[3]);
    assert_string_equal(b.p, "ALTER TABLE \"users\" ADD COLUMN \"seen\" TIMESTAMP");
    pg_buf_clear(&b);
    assert_int_equal(pg_conflict_of(&o, s), PG_CONFLICT_UPDATE);
    pg_sql_insert(&b, s, PG_CONFLICT_UPDATE, 2);
    assert_string_equal(b.p, "INSERT INTO \"users\" (\"id\", \"name\", \"avatar\", \"seen\") "
                        "VALUES ($1, $2, $3, $4), ($5, $6, $7, $8) ON CONFLICT (\"id\") DO UPDATE "
                        "SET \"name\" = EXCLUDED.\"name\", \"avatar\" = EXCLUDED.\"avatar\", "
                        "\"seen\" = EXCLUDED.\"seen\"");
    pg_buf_free(&b);

    /* A tombstone's shape: the key only, and a DELETE. */
    sl_connect_record_t t = r;
    t.value = NULL;
    t.value_schema = NULL;
    pg_shape_t *d = shape(&o, &t, true);
    assert_int_equal(d->ncols, 1);
    pg_sql_delete(&b, d, 2);
    assert_string_equal(b.p, "DELETE FROM \"users\" WHERE (\"id\") IN (($1), ($2))");
    pg_buf_free(&b);
    assert_true(pg_shape_fits(d, "users", &t, true));
    assert_false(pg_shape_fits(d, "users", &r, false));
    assert_false(pg_shape_fits(s, "users", &t, true));
    pg_shape_free(d);
    pg_shape_free(s);
    pg_opts_free(&o);
}

static void test_kafka_and_value_keys(void **state)
{
    (void)state;
    sl_connect_record_t r = user_rec(7, "ann");
    pg_opts_t o = opts("insert", "kafka", "");
    pg_shape_t *s = shape(&o, &r, false);
    assert_int_equal(s->ncols, 7);
    assert_int_equal(s->npk, 3);
    assert_string_equal(s->cols[0].name, "__connect_topic");
    assert_string_equal(s->cols[2].name, "__connect_offset");
    /* insert mode keyed by coordinates: a replay does nothing. */
    assert_int_equal(pg_conflict_of(&o, s), PG_CONFLICT_NOTHING);
    pg_buf_t b = {0};
    pg_sql_insert(&b, s, PG_CONFLICT_NOTHING, 1);
    assert_string_equal(b.p, "INSERT INTO \"users\" (\"__connect_topic\", \"__connect_partition\", "
                        "\"__connect_offset\", \"id\", \"name\", \"avatar\", \"seen\") VALUES "
                        "($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (\"__connect_topic\", "
                        "\"__connect_partition\", \"__connect_offset\") DO NOTHING");
    pg_buf_free(&b);
    pg_shape_free(s);
    pg_opts_free(&o);

    o = opts("insert", "record_value", "id,name");
    s = shape(&o, &r, false);
    assert_int_equal(s->npk, 2);
    assert_int_equal(pg_conflict_of(&o, s), PG_CONFLICT_ERROR);
    pg_sql_insert(&b, s, PG_CONFLICT_ERROR, 1);
    assert_string_equal(b.p, "INSERT INTO \"users\" (\"id\", \"name\", \"avatar\", \"seen\") "
                        "VALUES ($1, $2, $3, $4)");
    pg_buf_clear(&b);
    pg_sql_create(&b, s);
    /* Key columns are NOT NULL even when their schema is optional. */
    assert_string_equal(b.p, "CREATE TABLE IF NOT EXISTS \"users\" (\"id\" BIGINT NOT NULL, "
                        "\"name\" TEXT NOT NULL, \"avatar\" BYTEA, \"seen\" TIMESTAMP, "
                        "PRIMARY KEY (\"id\", \"name\"))");
    pg_buf_free(&b);
    pg_shape_free(s);
    pg_opts_free(&o);

    /* A primitive key: one column, __connect_key unless named. */
    o = opts("upsert", "record_key", "");
    r.key_schema = &s_int32;
    r.key = v_int(SL_CT_INT32, 5);
    s = shape(&o, &r, false);
    assert_int_equal(s->ncols, 5);
    assert_string_equal(s->cols[0].name, "__connect_key");
    assert_int_equal(s->cols[0].src, PG_SRC_KEY);
    pg_shape_free(s);
    pg_opts_free(&o);

    /* Every column a key column: upsert does nothing on a conflict. */
    o = opts("upsert", "record_value", "");
    r = user_rec(1, "x");
    s = shape(&o, &r, false);
    assert_int_equal(pg_conflict_of(&o, s), PG_CONFLICT_NOTHING);
    pg_shape_free(s);
    pg_opts_free(&o);
}

static void test_shape_refusals(void **state)
{
    (void)state;
    pg_shape_t *s;
    char err[300];
    pg_opts_t none = opts("insert", "none", "");
    sl_connect_record_t r = user_rec(1, "a");
    r.value_schema = NULL;   /* schemaless JSON */
    assert_int_equal(pg_shape_build(&none, "t", &r, false, &s, err, sizeof(err)), SL_CONNECT_EINVAL);
    assert_non_null(strstr(err, "schemaless"));
    assert_non_null(strstr(err, "users-2@41"));
    r.value_schema = &s_string;
    assert_int_equal(pg_shape_build(&none, "t", &r, false, &s, err, sizeof(err)), SL_CONNECT_EINVAL);
    assert_non_null(strstr(err, "struct value"));
    r.value_schema = &s_nested;
    assert_int_equal(pg_shape_build(&none, "t", &r, false, &s, err, sizeof(err)), SL_CONNECT_EINVAL);
    assert_non_null(strstr(err, "\"inner\" is a struct"));
    r.value_schema = &s_decrow;
    assert_int_equal(pg_shape_build(&none, "t", &r, false, &s, err, sizeof(err)), SL_CONNECT_EINVAL);
    assert_non_null(strstr(err, "Decimal"));
    assert_null(s);
    pg_opts_free(&none);

    pg_opts_t byval = opts("upsert", "record_value", "id,email");
    r = user_rec(1, "a");
    assert_int_equal(pg_shape_build(&byval, "t", &r, false, &s, err, sizeof(err)), SL_CONNECT_EINVAL);
    assert_non_null(strstr(err, "\"email\""));
    pg_opts_free(&byval);

    pg_opts_t bykey = opts("upsert", "record_key", "");
    r.key = NULL;
    assert_int_equal(pg_shape_build(&bykey, "t", &r, false, &s, err, sizeof(err)), SL_CONNECT_EINVAL);
    assert_non_null(strstr(err, "null"));
    pg_opts_free(&bykey);
}

static void test_fits(void **state)
{
    (void)state;
    pg_opts_t o = opts("upsert", "record_key", "");
    sl_connect_record_t a = user_rec(1, "a"), b = user_rec(2, NULL);
    pg_shape_t *s = shape(&o, &a, false);
    assert_true(pg_shape_fits(s, "users", &b, false));
    assert_false(pg_shape_fits(s, "other", &b, false));
    /* A copy of the schema (as each message's converter builds one) fits. */
    sl_cschema_t copy = s_user;
    b.value_schema = &copy;
    assert_true(pg_shape_fits(s, "users", &b, false));
    b.value_schema = &s_user2;
    assert_false(pg_shape_fits(s, "users", &b, false));
    b.value_schema = &s_user;
    b.key_schema = &s_int64;
    assert_false(pg_shape_fits(s, "users", &b, false));
    pg_shape_free(s);
    pg_opts_free(&o);
}

static void test_rows(void **state)
{
    (void)state;
    pg_opts_t o = opts("upsert", "record_key", "");
    sl_connect_record_t a = user_rec(7, "ann");
    pg_shape_t *s = shape(&o, &a, false);
    pg_rows_t rows = {0};
    char err[300];
    assert_int_equal(pg_rows_add(&rows, s, &a, err, sizeof(err)), 0);
    sl_connect_record_t b = user_rec(-8, NULL);
    assert_int_equal(pg_rows_add(&rows, s, &b, err, sizeof(err)), 0);
    assert_int_equal(rows.count, 8);
    const pg_param_t *p = rows.params;
    assert_string_equal(rows.data.p + p[0].off, "7");
    assert_string_equal(rows.data.p + p[1].off, "ann");
    assert_int_equal(p[1].len, 3);
    assert_true(p[2].binary);
    assert_int_equal(p[2].len, 2);
    assert_memory_equal(rows.data.p + p[2].off, "\x00\x01", 2);
    assert_string_equal(rows.data.p + p[3].off, "1970-01-01 00:00:01.000");
    assert_string_equal(rows.data.p + p[4].off, "-8");
    assert_int_equal(p[5].len, -1);   /* a null name: SQL NULL */

    /* A NUL inside a string is refused and leaves the rows as they were. */
    size_t count = rows.count, len = rows.data.len;
    sl_connect_record_t c = user_rec(9, "x");
    ((sl_cvalue_t *)c.value->u.map.pairs[1].value)->u.bytes = (typeof(vals[0].u.bytes)){"a\0b", 3};
    assert_int_equal(pg_rows_add(&rows, s, &c, err, sizeof(err)), SL_CONNECT_EINVAL);
    assert_non_null(strstr(err, "NUL"));
    assert_int_equal(rows.count, count);
    assert_int_equal(rows.data.len, len);
    /* The first row written: the second moves to the front, intact. */
    pg_rows_drop_front(&rows, s->ncols);
    assert_int_equal(rows.count, 4);
    assert_string_equal(rows.data.p + rows.params[0].off, "-8");
    assert_int_equal(rows.params[1].len, -1);
    assert_memory_equal(rows.data.p + rows.params[2].off, "\x00\x01", 2);
    assert_string_equal(rows.data.p + rows.params[3].off, "1970-01-01 00:00:01.000");
    pg_rows_drop_front(&rows, 4);
    assert_int_equal(rows.count, 0);
    assert_int_equal(rows.data.len, 0);
    pg_rows_free(&rows);
    pg_shape_free(s);
    pg_opts_free(&o);
}

static void test_kafka_params(void **state)
{
    (void)state;
    pg_opts_t o = opts("insert", "kafka", "t,p,o");
    sl_connect_record_t a = user_rec(1, "a");
    pg_shape_t *s = shape(&o, &a, false);
    assert_string_equal(s->cols[1].name, "p");
    pg_rows_t rows = {0};
    char err[300];
    assert_int_equal(pg_rows_add(&rows, s, &a, err, sizeof(err)), 0);
    assert_string_equal(rows.data.p + rows.params[0].off, "users");
    assert_string_equal(rows.data.p + rows.params[1].off, "2");
    assert_string_equal(rows.data.p + rows.params[2].off, "41");
    pg_rows_free(&rows);
    pg_shape_free(s);
    pg_opts_free(&o);
}

static void test_last_per_key(void **state)
{
    (void)state;
    pg_opts_t o = opts("upsert", "record_key", "");
    static const int64_t ids[] = {1, 2, 1, 3, 2, 10, 4};
    size_t n = sizeof(ids) / sizeof(ids[0]);
    sl_connect_record_t first = user_rec(ids[0], "a");
    pg_shape_t *s = shape(&o, &first, false);
    pg_rows_t rows = {0};
    char err[300];
    for (size_t i = 0; i < n; i++) {
        sl_connect_record_t r = user_rec(ids[i], "v");
        assert_int_equal(pg_rows_add(&rows, s, &r, err, sizeof(err)), 0);
    }
    bool keep[7];
    size_t nslots = pg_rows_slots(n);
    assert_true(nslots >= 2 * n);
    size_t *slots = malloc(nslots * sizeof(*slots));
    assert_int_equal(pg_rows_last_per_key(&rows, 0, n, s, keep, slots, nslots), 5);
    static const bool want[] = {false, false, true, true, true, true, true};
    assert_memory_equal(keep, want, sizeof(want));
    /* From the second row on (a run starting mid-buffer). */
    assert_int_equal(pg_rows_last_per_key(&rows, s->ncols, n - 1, s, keep, slots, nslots), 5);
    free(slots);
    pg_rows_free(&rows);
    pg_shape_free(s);
    pg_opts_free(&o);
}

static void test_formats(void **state)
{
    (void)state;
    char t[32];
    assert_int_equal(pg_format_timestamp(0, t, sizeof(t)), 0);
    assert_string_equal(t, "1970-01-01 00:00:00.000");
    assert_int_equal(pg_format_timestamp(-1, t, sizeof(t)), 0);
    assert_string_equal(t, "1969-12-31 23:59:59.999");
    assert_int_equal(pg_format_timestamp(1764000000123LL, t, sizeof(t)), 0);
    assert_string_equal(t, "2025-11-24 16:00:00.123");
    assert_int_equal(pg_format_timestamp(INT64_MAX, t, sizeof(t)), SL_CONNECT_EINVAL);
    assert_int_equal(pg_format_timestamp(INT64_MIN, t, sizeof(t)), SL_CONNECT_EINVAL);
    assert_int_equal(pg_format_date(19000, t, sizeof(t)), 0);
    assert_string_equal(t, "2022-01-08");
    assert_int_equal(pg_format_date(-1, t, sizeof(t)), 0);
    assert_string_equal(t, "1969-12-31");
    assert_int_equal(pg_format_date(INT32_MIN, t, sizeof(t)), SL_CONNECT_EINVAL);
    assert_int_equal(pg_format_time(3723004, t, sizeof(t)), 0);
    assert_string_equal(t, "01:02:03.004");
    assert_int_equal(pg_format_time(86400000, t, sizeof(t)), SL_CONNECT_EINVAL);
    assert_int_equal(pg_format_time(-1, t, sizeof(t)), SL_CONNECT_EINVAL);
}

static void test_names_and_limits(void **state)
{
    (void)state;
    pg_buf_t b = {0};
    assert_int_equal(pg_table_name(&b, "${topic}", "orders"), 0);
    assert_string_equal(b.p, "orders");
    assert_int_equal(pg_table_name(&b, "kafka_${topic}_${topic}", "a.b"), 0);
    assert_string_equal(b.p, "kafka_a.b_a.b");
    assert_int_equal(pg_table_name(&b, "fixed", "x"), 0);
    assert_string_equal(b.p, "fixed");
    assert_int_equal(pg_table_name(&b, "${topic}", ""), SL_CONNECT_EINVAL);

    char err[300];
    assert_int_equal(pg_conninfo(&b, "jdbc:postgresql://127.0.0.1:5433/db", err, sizeof(err)), 0);
    assert_string_equal(b.p, "postgresql://127.0.0.1:5433/db");
    assert_int_equal(pg_conninfo(&b, "host=/tmp port=5 dbname=x", err, sizeof(err)), 0);
    assert_string_equal(b.p, "host=/tmp port=5 dbname=x");
    assert_int_equal(pg_conninfo(&b, "jdbc:mysql://h/db", err, sizeof(err)), SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "not a PostgreSQL URL"));
    assert_int_equal(pg_conninfo(&b, "", err, sizeof(err)), SL_CONNECT_ECONFIG);
    pg_buf_free(&b);

    assert_int_equal(pg_rows_per_statement(4, 3000), 3000);
    assert_int_equal(pg_rows_per_statement(30, 3000), 2184);   /* 65535 parameters */
    assert_int_equal(pg_rows_per_statement(70000, 3000), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_types, setup),
        cmocka_unit_test_setup(test_ident, setup),
        cmocka_unit_test_setup(test_options, setup),
        cmocka_unit_test_setup(test_record_key_upsert, setup),
        cmocka_unit_test_setup(test_kafka_and_value_keys, setup),
        cmocka_unit_test_setup(test_shape_refusals, setup),
        cmocka_unit_test_setup(test_fits, setup),
        cmocka_unit_test_setup(test_rows, setup),
        cmocka_unit_test_setup(test_kafka_params, setup),
        cmocka_unit_test_setup(test_last_per_key, setup),
        cmocka_unit_test_setup(test_formats, setup),
        cmocka_unit_test_setup(test_names_and_limits, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
