/*
 * config_test.c - connector configs checked against config definitions:
 * required keys, types, defaults filled in, unknown keys passed through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "connect.h"

static const sl_connect_configdef_t defs[] = {
    {"file", SL_CFG_STRING, NULL, SL_IMPORTANCE_HIGH, "The file."},
    {"batch.size", SL_CFG_INT, "2000", SL_IMPORTANCE_LOW, "Lines per poll."},
    {"max.bytes", SL_CFG_LONG, "10", SL_IMPORTANCE_LOW, "Bytes."},
    {"ratio", SL_CFG_DOUBLE, "0.5", SL_IMPORTANCE_LOW, "A ratio."},
    {"enabled", SL_CFG_BOOLEAN, "true", SL_IMPORTANCE_MEDIUM, "On or off."},
    {"topics", SL_CFG_LIST, "", SL_IMPORTANCE_HIGH, "Topics."},
    {"secret", SL_CFG_PASSWORD, "", SL_IMPORTANCE_HIGH, "A secret."},
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static sl_props_t *props(const char *text)
{
    sl_props_t *p = NULL;
    assert_int_equal(sl_props_parse(text, strlen(text), "test", &p, NULL, 0), SL_OK);
    return p;
}

/* Validates text; returns the error and leaves its sentence in err. */
static sl_err_t check(const char *text, char *err, size_t len)
{
    sl_props_t *p = props(text);
    sl_err_t rc = sl_connect_config_validate(defs, NDEFS, p, NULL, err, len);
    sl_props_free(p);
    return rc;
}

static void config_fills_defaults_and_passes_unknown_keys(void **state)
{
    (void)state;
    sl_props_t *p = props("file=/tmp/x\nbatch.size=5\nname=c1\n");
    sl_props_t *r = NULL;
    assert_int_equal(sl_connect_config_validate(defs, NDEFS, p, &r, NULL, 0), SL_OK);
    assert_string_equal(sl_props_get(r, "file"), "/tmp/x");
    assert_string_equal(sl_props_get(r, "batch.size"), "5");
    assert_string_equal(sl_props_get(r, "max.bytes"), "10");
    assert_string_equal(sl_props_get(r, "enabled"), "true");
    assert_string_equal(sl_props_get(r, "name"), "c1");
    sl_props_free(r);
    sl_props_free(p);
}

static void config_refuses_a_missing_required_key(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(check("batch.size=5\n", err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "Missing required configuration \"file\""));
    assert_int_equal(check("file=\n", err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "must not be empty"));
}

static void config_refuses_values_of_the_wrong_type(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(check("file=a\nbatch.size=12x\n", err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "Invalid value 12x for configuration batch.size"));
    assert_int_equal(check("file=a\nbatch.size=3000000000\n", err, sizeof(err)), SL_ERR_CONFIG);
    assert_int_equal(check("file=a\nmax.bytes=3000000000\n", err, sizeof(err)), SL_OK);
    assert_int_equal(check("file=a\nmax.bytes=99999999999999999999\n", err, sizeof(err)),
                     SL_ERR_CONFIG);
    assert_int_equal(check("file=a\nratio=abc\n", err, sizeof(err)), SL_ERR_CONFIG);
    assert_int_equal(check("file=a\nenabled=yes\n", err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "true or false"));
    assert_int_equal(check("file=a\nenabled=FALSE\n", err, sizeof(err)), SL_OK);
    assert_int_equal(check("file=a\ntopics=a, b ,c\n", err, sizeof(err)), SL_OK);
    assert_int_equal(check("file=a\ntopics=a,,c\n", err, sizeof(err)), SL_ERR_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_fills_defaults_and_passes_unknown_keys),
        cmocka_unit_test(config_refuses_a_missing_required_key),
        cmocka_unit_test(config_refuses_values_of_the_wrong_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
