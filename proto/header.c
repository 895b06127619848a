/*
 * header.c - request and response headers, and whole frames (size prefix,
 * header, body). Which header version a request or response uses depends on
 * its api and version; the two exceptions (ControlledShutdown v0 requests
 * use header v0, ApiVersions responses always use v0 per KIP-511) live here.
 */
#include <string.h>

#include "prim_int.h"

#define API_CONTROLLED_SHUTDOWN 7
#define API_API_VERSIONS 18

int16_t sl_req_hdr_version(int16_t api_key, int16_t api_version)
{
    if (api_key == API_CONTROLLED_SHUTDOWN && api_version == 0)
        return 0;
    const sl_api_t *api = sl_api_get(api_key);
    if (!api)
        return 1;
    return api->flex_version >= 0 && api_version >= api->flex_version ? 2 : 1;
}

int16_t sl_resp_hdr_version(int16_t api_key, int16_t api_version)
{
    if (api_key == API_API_VERSIONS)
        return 0;
    const sl_api_t *api = sl_api_get(api_key);
    if (!api)
        return 0;
    return api->flex_version >= 0 && api_version >= api->flex_version ? 1 : 0;
}

sl_err_t sl_req_hdr_decode(sl_rd_t *rd, sl_req_hdr_t *out)
{
    sl_RequestHeader_t h;
    if (rd->err != SL_OK)
        return rd->err;
    /* ApiKey and ApiVersion decide the header version: peek at them. */
    if (!sl_wire_need(rd, 4))
        return rd->err;
    int16_t key = (int16_t)sl_wire_be16(rd->p);
    int16_t ver = (int16_t)sl_wire_be16(rd->p + 2);
    int16_t hv = sl_req_hdr_version(key, ver);
    sl_err_t err = sl_RequestHeader_decode(rd, hv, NULL, &h);
    if (err != SL_OK)
        return err;
    out->api_key = h.RequestApiKey;
    out->api_version = h.RequestApiVersion;
    out->correlation_id = h.CorrelationId;
    out->client_id = hv >= 1 ? h.ClientId : sl_kstr_null();
    out->hdr_version = hv;
    return SL_OK;
}

sl_err_t sl_req_hdr_encode(sl_buf_t *buf, const sl_req_hdr_t *h)
{
    sl_RequestHeader_t m;
    int16_t hv = sl_req_hdr_version(h->api_key, h->api_version);
    sl_RequestHeader_init(&m);
    m.RequestApiKey = h->api_key;
    m.RequestApiVersion = h->api_version;
    m.CorrelationId = h->correlation_id;
    m.ClientId = h->client_id;
    return sl_RequestHeader_encode(buf, hv, &m);
}

sl_err_t sl_resp_hdr_decode(sl_rd_t *rd, int16_t hdr_version, int32_t *correlation_id)
{
    sl_ResponseHeader_t m;
    if (hdr_version != 0 && hdr_version != 1)
        return SL_ERR_INVAL;
    sl_err_t err = sl_ResponseHeader_decode(rd, hdr_version, NULL, &m);
    if (err == SL_OK)
        *correlation_id = m.CorrelationId;
    return err;
}

sl_err_t sl_resp_hdr_encode(sl_buf_t *buf, int16_t hdr_version, int32_t correlation_id)
{
    sl_ResponseHeader_t m;
    if (hdr_version != 0 && hdr_version != 1)
        return SL_ERR_INVAL;
    sl_ResponseHeader_init(&m);
    m.CorrelationId = correlation_id;
    return sl_ResponseHeader_encode(buf, hdr_version, &m);
}

/* The api for a frame, or the error for an unknown key / version. */
static sl_err_t frame_api(int16_t api_key, int16_t api_version, const sl_api_t **api)
{
    *api = sl_api_get(api_key);
    if (!*api)
        return SL_ERR_INVALID_REQUEST;
    if (api_version < (*api)->min_version || api_version > (*api)->max_version)
        return SL_ERR_UNSUPPORTED_VERSION;
    return SL_OK;
}

static sl_err_t decode_body(sl_rd_t *rd, const sl_msg_desc_t *md, int16_t version, sl_arena_t *arena,
                            void **body)
{
    void *b = sl_arena_alloc(arena, md->size);
    if (!b)
        return SL_ERR_NOMEM;
    sl_err_t err = md->decode(rd, version, arena, b);
    if (err == SL_OK)
        *body = b;
    return err;
}

sl_err_t sl_request_decode(const uint8_t *frame, size_t len, sl_arena_t *arena, sl_request_t *out)
{
    sl_rd_t rd;
    memset(out, 0, sizeof(*out));
    sl_rd_init(&rd, frame, len);
    sl_err_t err = sl_req_hdr_decode(&rd, &out->hdr);
    if (err != SL_OK)
        return err;
    out->hdr_ok = true;
    err = frame_api(out->hdr.api_key, out->hdr.api_version, &out->api);
    if (err != SL_OK)
        return err;
    return decode_body(&rd, out->api->request, out->hdr.api_version, arena, &out->body);
}

/* Patches the size prefix at start once the frame is complete. */
static sl_err_t finish_frame(sl_buf_t *buf, size_t start, sl_err_t err)
{
    if (err == SL_OK && sl_buf_err(buf) == SL_OK) {
        size_t size = buf->len - start - 4;
        if (size > INT32_MAX)
            err = SL_ERR_INVAL;
        else
            sl_buf_set_i32(buf, start, (int32_t)size);
    }
    return sl_wire_enc_done(buf, start, err);
}

sl_err_t sl_request_encode(sl_buf_t *buf, const sl_req_hdr_t *hdr, const void *body)
{
    const sl_api_t *api;
    sl_err_t err = frame_api(hdr->api_key, hdr->api_version, &api);
    if (err != SL_OK)
        return err;
    size_t start = buf->len;
    sl_buf_put_i32(buf, 0);
    err = sl_req_hdr_encode(buf, hdr);
    if (err == SL_OK)
        err = api->request->encode(buf, hdr->api_version, body);
    return finish_frame(buf, start, err);
}

sl_err_t sl_response_encode(sl_buf_t *buf, int16_t api_key, int16_t api_version, int32_t correlation_id,
                            const void *body)
{
    const sl_api_t *api;
    sl_err_t err = frame_api(api_key, api_version, &api);
    if (err != SL_OK)
        return err;
    size_t start = buf->len;
    sl_buf_put_i32(buf, 0);
    err = sl_resp_hdr_encode(buf, sl_resp_hdr_version(api_key, api_version), correlation_id);
    if (err == SL_OK)
        err = api->response->encode(buf, api_version, body);
    return finish_frame(buf, start, err);
}

sl_err_t sl_response_decode(const uint8_t *frame, size_t len, int16_t api_key, int16_t api_version,
                            sl_arena_t *arena, int32_t *correlation_id, void **body)
{
    const sl_api_t *api;
    sl_rd_t rd;
    *body = NULL;
    sl_err_t err = frame_api(api_key, api_version, &api);
    if (err != SL_OK)
        return err;
    sl_rd_init(&rd, frame, len);
    err = sl_resp_hdr_decode(&rd, sl_resp_hdr_version(api_key, api_version), correlation_id);
    if (err != SL_OK)
        return err;
    return decode_body(&rd, api->response, api_version, arena, body);
}
