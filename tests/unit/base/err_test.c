/* err_test.c - error names, sentences and the mapping to wire codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

static void err_kafka_codes_keep_their_values(void **state)
{
    (void)state;
    assert_int_equal(SL_OK, 0);
    assert_int_equal(SL_ERR_UNKNOWN_SERVER_ERROR, -1);
    assert_int_equal(SL_ERR_OFFSET_OUT_OF_RANGE, 1);
    assert_int_equal(SL_ERR_NOT_LEADER_OR_FOLLOWER, 6);
    assert_int_equal(SL_ERR_UNSUPPORTED_VERSION, 35);
    assert_int_equal(SL_ERR_UNKNOWN_TOPIC_ID, 100);
    assert_int_equal(SL_ERR_FETCH_SESSION_TOPIC_ID_ERROR, 106);
    assert_true(SL_ERR_NOMEM <= -100);
}

static void err_names_and_sentences(void **state)
{
    (void)state;
    assert_string_equal(sl_err_name(SL_OK), "NONE");
    assert_string_equal(sl_err_name(SL_ERR_OFFSET_OUT_OF_RANGE), "OFFSET_OUT_OF_RANGE");
    assert_string_equal(sl_err_name(SL_ERR_NOMEM), "NOMEM");
    assert_string_equal(sl_err_name(SL_ERR_UNKNOWN_SERVER_ERROR), "UNKNOWN_SERVER_ERROR");
    assert_string_equal(sl_err_name((sl_err_t)12345), "UNKNOWN_CODE");
    assert_string_equal(sl_err_str(SL_ERR_REQUEST_TIMED_OUT), "The request timed out.");
    assert_non_null(sl_err_str((sl_err_t)-9999));
    /* Every code from -1 to 106 has a name. */
    for (int c = -1; c <= 106; c++)
        assert_string_not_equal(sl_err_name((sl_err_t)c), "UNKNOWN_CODE");
}

static void err_wire_maps_own_codes(void **state)
{
    (void)state;
    assert_true(sl_err_is_kafka(SL_OK));
    assert_true(sl_err_is_kafka(SL_ERR_UNKNOWN_SERVER_ERROR));
    assert_true(sl_err_is_kafka(SL_ERR_INVALID_REQUEST));
    assert_false(sl_err_is_kafka(SL_ERR_PARSE));
    assert_int_equal(sl_err_wire(SL_OK), 0);
    assert_int_equal(sl_err_wire(SL_ERR_NOT_COORDINATOR), 16);
    assert_int_equal(sl_err_wire(SL_ERR_PARSE), SL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(sl_err_wire(SL_ERR_UNSUPPORTED), SL_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(sl_err_wire(SL_ERR_NOMEM), -1);
    assert_int_equal(sl_err_wire(SL_ERR_CONFIG), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(err_kafka_codes_keep_their_values),
        cmocka_unit_test(err_names_and_sentences),
        cmocka_unit_test(err_wire_maps_own_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
