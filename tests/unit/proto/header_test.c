/* header_test.c - request/response header versions (with the ControlledShutdown
 * v0 and ApiVersions exceptions), header decode (null ClientId, tagged
 * fields in v2, unknown api keys) and whole frames both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

static void req_hdr_version_follows_flexible_versions(void **state)
{
    (void)state;
    assert_int_equal(sl_req_hdr_version(18, 3), 2); /* ApiVersions v3 is flexible */
    assert_int_equal(sl_req_hdr_version(18, 2), 1);
    assert_int_equal(sl_req_hdr_version(18, 4), 2); /* newer than we know: still readable */
    assert_int_equal(sl_req_hdr_version(0, 9), 2);
    assert_int_equal(sl_req_hdr_version(0, 8), 1);
    assert_int_equal(sl_req_hdr_version(3, 9), 2);
    assert_int_equal(sl_req_hdr_version(3, 0), 1);
    assert_int_equal(sl_req_hdr_version(17, 1), 1); /* SaslHandshake: never flexible */
    assert_int_equal(sl_req_hdr_version(1000, 0), 1); /* unknown api */
    assert_int_equal(sl_req_hdr_version(-1, 0), 1);
}

static void req_hdr_version_controlled_shutdown_v0_is_v0(void **state)
{
    (void)state;
    assert_int_equal(sl_req_hdr_version(7, 0), 0);
    assert_int_equal(sl_req_hdr_version(7, 1), 1);
    assert_int_equal(sl_req_hdr_version(7, 3), 2);
}

static void resp_hdr_version_api_versions_is_always_v0(void **state)
{
    (void)state;
    assert_int_equal(sl_resp_hdr_version(18, 3), 0);
    assert_int_equal(sl_resp_hdr_version(18, 0), 0);
    assert_int_equal(sl_resp_hdr_version(3, 9), 1);
    assert_int_equal(sl_resp_hdr_version(3, 8), 0);
    assert_int_equal(sl_resp_hdr_version(1, 12), 1);
    assert_int_equal(sl_resp_hdr_version(7, 3), 1);
    assert_int_equal(sl_resp_hdr_version(1000, 5), 0);
}

static void req_hdr_decode_null_client_id(void **state)
{
    (void)state;
    const uint8_t b[] = {0, 3, 0, 1, 0, 0, 0, 7, 0xff, 0xff};
    sl_rd_t rd;
    sl_req_hdr_t h;
    sl_rd_init(&rd, b, sizeof(b));
    assert_int_equal(sl_req_hdr_decode(&rd, &h), SL_OK);
    assert_int_equal(h.api_key, 3);
    assert_int_equal(h.api_version, 1);
    assert_int_equal(h.correlation_id, 7);
    assert_int_equal(h.hdr_version, 1);
    assert_true(sl_kstr_is_null(h.client_id));
    assert_int_equal(sl_rd_left(&rd), 0);
}

static void req_hdr_v2_keeps_classic_client_id_and_skips_tags(void **state)
{
    (void)state;
    /* Metadata v9: header v2 with ClientId "cli" (int16 length) and a tagged
     * field section holding an unknown tag 5; then the body. */
    const uint8_t frame[] = {
        0, 3, 0, 9, 0, 0, 0, 42, 0, 3, 'c', 'l', 'i', 0x01, 0x05, 0x02, 0xaa, 0xbb,
        0x00,       /* Topics: null (compact) */
        0x01,       /* AllowAutoTopicCreation */
        0x00, 0x01, /* IncludeClusterAuthorizedOperations, IncludeTopicAuthorizedOperations */
        0x00,       /* tags */
    };
    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, 0);
    assert_int_equal(sl_request_decode(frame, sizeof(frame), &arena, &req), SL_OK);
    assert_true(req.hdr_ok);
    assert_int_equal(req.hdr.hdr_version, 2);
    assert_int_equal(req.hdr.correlation_id, 42);
    assert_true(sl_kstr_eq(req.hdr.client_id, "cli"));
    assert_ptr_equal(req.api, sl_api_get(3));
    const sl_MetadataRequest_t *m = req.body;
    assert_non_null(m);
    assert_int_equal(m->Topics.count, -1);
    assert_true(m->AllowAutoTopicCreation);
    assert_false(m->IncludeClusterAuthorizedOperations);
    assert_true(m->IncludeTopicAuthorizedOperations);
    sl_arena_fini(&arena);
}

static void req_hdr_v0_controlled_shutdown_has_no_client_id(void **state)
{
    (void)state;
    const uint8_t frame[] = {0, 7, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5};
    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, 0);
    assert_int_equal(sl_request_decode(frame, sizeof(frame), &arena, &req), SL_OK);
    assert_int_equal(req.hdr.hdr_version, 0);
    assert_true(sl_kstr_is_null(req.hdr.client_id));
    const sl_ControlledShutdownRequest_t *m = req.body;
    assert_int_equal(m->BrokerId, 5);
    /* And it encodes back to the same bytes. */
    sl_buf_t buf = SL_BUF_INIT;
    assert_int_equal(sl_request_encode(&buf, &req.hdr, req.body), SL_OK);
    assert_int_equal(buf.len, 4 + sizeof(frame));
    assert_memory_equal(buf.data + 4, frame, sizeof(frame));
    assert_memory_equal(buf.data, "\0\0\0\x0c", 4);
    sl_buf_free(&buf);
    sl_arena_fini(&arena);
}

static void request_with_unknown_api_key_keeps_its_header(void **state)
{
    (void)state;
    const uint8_t frame[] = {0, 200, 0, 0, 0, 0, 0, 9, 0, 1, 'x', 1, 2, 3};
    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, 0);
    assert_int_equal(sl_request_decode(frame, sizeof(frame), &arena, &req), SL_ERR_INVALID_REQUEST);
    assert_true(req.hdr_ok);
    assert_null(req.api);
    assert_null(req.body);
    assert_int_equal(req.hdr.api_key, 200);
    assert_int_equal(req.hdr.correlation_id, 9);
    assert_true(sl_kstr_eq(req.hdr.client_id, "x"));
    /* A known api at a version it lacks (flexible rule: header v2). */
    const uint8_t newer[] = {0, 18, 0, 9, 0, 0, 0, 4, 0, 1, 'y', 0x00, 0x77};
    assert_int_equal(sl_request_decode(newer, sizeof(newer), &arena, &req), SL_ERR_UNSUPPORTED_VERSION);
    assert_true(req.hdr_ok);
    assert_int_equal(req.hdr.hdr_version, 2);
    assert_int_equal(req.hdr.correlation_id, 4);
    sl_arena_fini(&arena);
}

static void truncated_header_cannot_be_answered(void **state)
{
    (void)state;
    const uint8_t frame[] = {0, 3, 0, 1, 0, 0, 0, 7, 0, 5, 'a', 'b'};
    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, 0);
    for (size_t n = 0; n < sizeof(frame); n++) {
        assert_int_equal(sl_request_decode(frame, n, &arena, &req), SL_ERR_TRUNCATED);
        assert_false(req.hdr_ok);
    }
    /* A negative ClientId length other than -1. */
    const uint8_t bad[] = {0, 3, 0, 1, 0, 0, 0, 7, 0xff, 0xf0};
    assert_int_equal(sl_request_decode(bad, sizeof(bad), &arena, &req), SL_ERR_PARSE);
    assert_false(req.hdr_ok);
    sl_arena_fini(&arena);
}

static void req_hdr_encode_by_header_version(void **state)
{
    (void)state;
    sl_buf_t buf = SL_BUF_INIT;
    sl_req_hdr_t h = {.api_key = 3, .api_version = 1, .correlation_id = 0x01020304, .client_id = {NULL, -1}};
    assert_int_equal(sl_req_hdr_encode(&buf, &h), SL_OK);
    const uint8_t v1[] = {0, 3, 0, 1, 1, 2, 3, 4, 0xff, 0xff};
    assert_int_equal(buf.len, sizeof(v1));
    assert_memory_equal(buf.data, v1, sizeof(v1));
    sl_buf_reset(&buf);
    h.api_version = 12;
    h.client_id = sl_kstr("ab");
    assert_int_equal(sl_req_hdr_encode(&buf, &h), SL_OK);
    const uint8_t v2[] = {0, 3, 0, 12, 1, 2, 3, 4, 0, 2, 'a', 'b', 0};
    assert_int_equal(buf.len, sizeof(v2));
    assert_memory_equal(buf.data, v2, sizeof(v2));
    sl_buf_free(&buf);
}

static void resp_hdr_encode_and_decode(void **state)
{
    (void)state;
    sl_buf_t buf = SL_BUF_INIT;
    int32_t corr = 0;
    sl_rd_t rd;
    assert_int_equal(sl_resp_hdr_encode(&buf, 1, 77), SL_OK);
    const uint8_t v1[] = {0, 0, 0, 77, 0};
    assert_int_equal(buf.len, sizeof(v1));
    assert_memory_equal(buf.data, v1, sizeof(v1));
    assert_int_equal(sl_resp_hdr_encode(&buf, 2, 77), SL_ERR_INVAL);
    /* v1 with an unknown tagged field. */
    const uint8_t tagged[] = {0, 0, 1, 0, 1, 9, 1, 0xcc};
    sl_rd_init(&rd, tagged, sizeof(tagged));
    assert_int_equal(sl_resp_hdr_decode(&rd, 1, &corr), SL_OK);
    assert_int_equal(corr, 256);
    assert_int_equal(sl_rd_left(&rd), 0);
    sl_rd_init(&rd, tagged, 3);
    assert_int_equal(sl_resp_hdr_decode(&rd, 0, &corr), SL_ERR_TRUNCATED);
    sl_buf_free(&buf);
}

static void api_versions_v3_response_frame_uses_header_v0(void **state)
{
    (void)state;
    sl_ApiVersionsResponse_t m;
    sl_ApiVersionsResponse_ApiVersion_t k;
    sl_buf_t buf = SL_BUF_INIT;
    sl_ApiVersionsResponse_init(&m);
    sl_ApiVersionsResponse_ApiVersion_init(&k);
    k.ApiKey = 18;
    k.MinVersion = 0;
    k.MaxVersion = 3;
    m.ApiKeys.count = 1;
    m.ApiKeys.items = &k;
    sl_buf_put(&buf, "pre", 3); /* frames append */
    assert_int_equal(sl_response_encode(&buf, 18, 3, 42, &m), SL_OK);
    const uint8_t want[] = {
        0, 0, 0, 19,    /* size */
        0, 0, 0, 42,    /* correlation id; no tagged fields: header v0 */
        0, 0,           /* ErrorCode */
        0x02,           /* ApiKeys: 1 element */
        0, 18, 0, 0, 0, 3, 0x00,
        0, 0, 0, 0,     /* ThrottleTimeMs */
        0x00,           /* tags */
    };
    assert_int_equal(buf.len, 3 + sizeof(want));
    assert_memory_equal(buf.data + 3, want, sizeof(want));
    /* And back. */
    sl_arena_t arena;
    int32_t corr;
    void *body;
    sl_arena_init(&arena, 0, 0);
    assert_int_equal(sl_response_decode(buf.data + 7, buf.len - 7, 18, 3, &arena, &corr, &body), SL_OK);
    assert_int_equal(corr, 42);
    const sl_ApiVersionsResponse_t *d = body;
    assert_int_equal(d->ApiKeys.count, 1);
    assert_int_equal(d->ApiKeys.items[0].MaxVersion, 3);
    sl_arena_fini(&arena);
    sl_buf_free(&buf);
}

static void metadata_v9_response_frame_uses_header_v1(void **state)
{
    (void)state;
    sl_MetadataResponse_t m;
    sl_buf_t buf = SL_BUF_INIT;
    sl_MetadataResponse_init(&m);
    assert_int_equal(sl_response_encode(&buf, 3, 9, 5, &m), SL_OK);
    assert_true(buf.len > 9);
    assert_memory_equal(buf.data + 4, "\0\0\0\x05\0", 5);
    assert_int_equal(sl_buf_err(&buf), SL_OK);
    /* Unknown api and unsupported version are refused before writing. */
    assert_int_equal(sl_response_encode(&buf, 500, 0, 5, &m), SL_ERR_INVALID_REQUEST);
    assert_int_equal(sl_response_encode(&buf, 3, 13, 5, &m), SL_ERR_UNSUPPORTED_VERSION);
    sl_buf_free(&buf);
}

static void request_frame_round_trip(void **state)
{
    (void)state;
    sl_MetadataRequest_t m;
    sl_MetadataRequest_MetadataRequestTopic_t t;
    sl_buf_t buf = SL_BUF_INIT;
    sl_MetadataRequest_init(&m);
    sl_MetadataRequest_MetadataRequestTopic_init(&t);
    t.Name = sl_kstr("orders");
    m.Topics.count = 1;
    m.Topics.items = &t;
    sl_req_hdr_t h = {.api_key = 3, .api_version = 12, .correlation_id = 11, .client_id = sl_kstr("sluice")};
    assert_int_equal(sl_request_encode(&buf, &h, &m), SL_OK);
    uint32_t size = ((uint32_t)buf.data[0] << 24) | ((uint32_t)buf.data[1] << 16) | ((uint32_t)buf.data[2] << 8) |
                    buf.data[3];
    assert_int_equal(size, buf.len - 4);
    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, 0);
    assert_int_equal(sl_request_decode(buf.data + 4, buf.len - 4, &arena, &req), SL_OK);
    assert_int_equal(req.hdr.correlation_id, 11);
    assert_true(sl_kstr_eq(req.hdr.client_id, "sluice"));
    const sl_MetadataRequest_t *d = req.body;
    assert_int_equal(d->Topics.count, 1);
    assert_true(sl_kstr_eq(d->Topics.items[0].Name, "orders"));
    /* A body error leaves buf as it was. */
    size_t len = buf.len;
    m.Topics.count = -2;
    assert_int_equal(sl_request_encode(&buf, &h, &m), SL_ERR_INVAL);
    assert_int_equal(buf.len, len);
    sl_arena_fini(&arena);
    sl_buf_free(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(req_hdr_version_follows_flexible_versions),
        cmocka_unit_test(req_hdr_version_controlled_shutdown_v0_is_v0),
        cmocka_unit_test(resp_hdr_version_api_versions_is_always_v0),
        cmocka_unit_test(req_hdr_decode_null_client_id),
        cmocka_unit_test(req_hdr_v2_keeps_classic_client_id_and_skips_tags),
        cmocka_unit_test(req_hdr_v0_controlled_shutdown_has_no_client_id),
        cmocka_unit_test(request_with_unknown_api_key_keeps_its_header),
        cmocka_unit_test(truncated_header_cannot_be_answered),
        cmocka_unit_test(req_hdr_encode_by_header_version),
        cmocka_unit_test(resp_hdr_encode_and_decode),
        cmocka_unit_test(api_versions_v3_response_frame_uses_header_v0),
        cmocka_unit_test(metadata_v9_response_frame_uses_header_v1),
        cmocka_unit_test(request_frame_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
