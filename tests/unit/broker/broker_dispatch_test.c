/* broker_dispatch_test.c - the dispatch table against proto's api table:
 * every entry sits at its own key, serves only versions Kafka 3.4 defines,
 * has a handler, and ApiVersions advertises exactly the table (including
 * the ranges librdkafka needs to use compression). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "broker_int.h"

static void dispatch_entries_sit_at_their_key_within_kafkas_range(void **state)
{
    (void)state;
    int served = 0;
    for (int16_t k = 0; k < SL_BROKER_API_SLOTS; k++) {
        const sl_broker_api_t *entry = &sl_broker_apis[k];
        if (!entry->handler) {
            assert_null(sl_broker_api_find(k));
            continue;
        }
        served++;
        assert_int_equal(entry->api_key, k);
        assert_ptr_equal(sl_broker_api_find(k), entry);
        const sl_api_t *api = sl_api_get(k);
        assert_non_null(api);
        assert_true(entry->min_version <= entry->max_version);
        assert_true(entry->min_version >= api->min_version);
        assert_true(entry->max_version <= api->max_version);
    }
    assert_true(served >= 6);
    assert_null(sl_broker_api_find(-1));
    assert_null(sl_broker_api_find(SL_BROKER_API_SLOTS));
    assert_null(sl_broker_api_find(INT16_MAX));
}

static void dispatch_serves_the_ranges_clients_depend_on(void **state)
{
    (void)state;
    /* librdkafka <= 2.11: gzip/snappy need Produce from v0, lz4 needs
     * FindCoordinator, zstd needs Produce v7+. */
    const sl_broker_api_t *produce = sl_broker_api_find(SL_APIKEY_PRODUCE);
    assert_non_null(produce);
    assert_int_equal(produce->min_version, 0);
    assert_true(produce->max_version >= 7);
    assert_non_null(sl_broker_api_find(SL_APIKEY_FIND_COORDINATOR));
    const sl_broker_api_t *av = sl_broker_api_find(SL_APIKEY_API_VERSIONS);
    assert_non_null(av);
    assert_int_equal(av->min_version, 0);
    assert_int_equal(av->max_version, 3);
    const sl_broker_api_t *meta = sl_broker_api_find(SL_APIKEY_METADATA);
    assert_non_null(meta);
    assert_int_equal(meta->min_version, 0);
    assert_int_equal(meta->max_version, 12);
    /* No down-conversion: Fetch starts where batches v2 can be carried. */
    const sl_broker_api_t *fetch = sl_broker_api_find(SL_APIKEY_FETCH);
    assert_non_null(fetch);
    assert_int_equal(fetch->min_version, 4);
}

static void api_versions_lists_exactly_the_table_and_encodes_in_every_version(void **state)
{
    (void)state;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_ApiVersionsResponse_t resp;
    assert_int_equal(sl_broker_api_versions_fill(&resp, &arena, SL_ERR_UNSUPPORTED_VERSION), SL_OK);
    assert_int_equal(resp.ErrorCode, SL_ERR_UNSUPPORTED_VERSION);
    int n = 0;
    for (int16_t k = 0; k < SL_BROKER_API_SLOTS; k++)
        n += sl_broker_apis[k].handler != NULL;
    assert_int_equal(resp.ApiKeys.count, n);
    int16_t last = -1;
    for (int32_t i = 0; i < resp.ApiKeys.count; i++) {
        const sl_ApiVersionsResponse_ApiVersion_t *av = &resp.ApiKeys.items[i];
        const sl_broker_api_t *entry = sl_broker_api_find(av->ApiKey);
        assert_non_null(entry);
        assert_true(av->ApiKey > last); /* ascending, each once */
        last = av->ApiKey;
        assert_int_equal(av->MinVersion, entry->min_version);
        assert_int_equal(av->MaxVersion, entry->max_version);
    }
    for (int16_t v = 0; v <= 3; v++) {
        sl_buf_t buf = SL_BUF_INIT;
        assert_int_equal(sl_response_encode(&buf, SL_APIKEY_API_VERSIONS, v, 42, &resp), SL_OK);
        sl_arena_t darena;
        sl_arena_init(&darena, 0, 0);
        int32_t corr = 0;
        void *body = NULL;
        assert_int_equal(sl_response_decode(buf.data + 4, buf.len - 4, SL_APIKEY_API_VERSIONS, v, &darena, &corr,
                                            &body),
                         SL_OK);
        assert_int_equal(corr, 42);
        const sl_ApiVersionsResponse_t *back = body;
        assert_int_equal(back->ApiKeys.count, n);
        sl_arena_fini(&darena);
        sl_buf_free(&buf);
    }
    sl_arena_fini(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dispatch_entries_sit_at_their_key_within_kafkas_range),
        cmocka_unit_test(dispatch_serves_the_ranges_clients_depend_on),
        cmocka_unit_test(api_versions_lists_exactly_the_table_and_encodes_in_every_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
