/*
 * dump.c - prints any decoded Kafka message as one line of JSON, walking the
 * generated reflection descriptors, so every request of every API at every
 * version can be shown without per-API code. Record batches inside `records`
 * fields are opened: batch header, then each record's key, value and headers.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include "wiretap_int.h"

#define DUMP_MAX_BYTES 64 /* bytes of a key/value shown before "..." */

static void dump_str(FILE *out, const void *p, int32_t len)
{
    if (len < 0) {
        fputs("null", out);
        return;
    }
    const uint8_t *s = p;
    int32_t shown = len > DUMP_MAX_BYTES ? DUMP_MAX_BYTES : len;
    fputc('"', out);
    for (int32_t i = 0; i < shown; i++) {
        if (s[i] == '"' || s[i] == '\\')
            fprintf(out, "\\%c", s[i]);
        else if (isprint(s[i]))
            fputc(s[i], out);
        else
            fprintf(out, "\\u%04x", s[i]);
    }
    if (shown < len)
        fprintf(out, "...(%" PRId32 " bytes)", len);
    fputc('"', out);
}

static void dump_uuid(FILE *out, const sl_uuid_t *u)
{
    fputc('"', out);
    for (int i = 0; i < 16; i++)
        fprintf(out, "%02x", u->b[i]);
    fputc('"', out);
}

static void dump_records(FILE *out, sl_kbytes_t blob)
{
    if (blob.len < 0) {
        fputs("null", out);
        return;
    }
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_buf_t scratch = SL_BUF_INIT;
    sl_batch_iter_init(&it, blob.ptr, (size_t)blob.len);
    fputc('[', out);
    sl_err_t err;
    bool first = true;
    while ((err = sl_batch_iter_next(&it, &batch)) == SL_OK) {
        fprintf(out,
                "%s{\"baseOffset\":%" PRId64 ",\"compression\":\"%s\",\"records\":%" PRId32
                ",\"producerId\":%" PRId64 ",\"transactional\":%s,\"control\":%s,\"data\":[",
                first ? "" : ",", batch.base_offset, sl_compression_name(sl_batch_compression(&batch)),
                batch.record_count, batch.producer_id, sl_batch_is_transactional(&batch) ? "true" : "false",
                sl_batch_is_control(&batch) ? "true" : "false");
        first = false;
        sl_record_iter_t rit;
        sl_record_t rec;
        sl_err_t rerr = sl_record_iter_init(&rit, &batch, &scratch, 0);
        bool rfirst = true;
        while (rerr == SL_OK && (rerr = sl_record_iter_next(&rit, &rec)) == SL_OK) {
            fprintf(out, "%s{\"offset\":%" PRId64 ",\"timestamp\":%" PRId64 ",\"key\":", rfirst ? "" : ",",
                    rec.offset, rec.timestamp);
            dump_str(out, rec.key, rec.key_len);
            fputs(",\"value\":", out);
            dump_str(out, rec.value, rec.value_len);
            if (rec.header_count > 0) {
                sl_header_iter_t hit;
                sl_header_t h;
                fputs(",\"headers\":{", out);
                sl_header_iter_init(&hit, &rec);
                for (bool hfirst = true; sl_header_iter_next(&hit, &h); hfirst = false) {
                    if (!hfirst)
                        fputc(',', out);
                    dump_str(out, h.key, (int32_t)h.key_len);
                    fputc(':', out);
                    dump_str(out, h.value, h.value_len);
                }
                fputc('}', out);
            }
            fputc('}', out);
            rfirst = false;
        }
        fputs("]", out);
        if (rerr != SL_ERR_NOENT)
            fprintf(out, ",\"error\":\"%s\"", rit.errmsg[0] ? rit.errmsg : sl_err_name(rerr));
        fputc('}', out);
    }
    if (err != SL_ERR_NOENT)
        fprintf(out, "%s{\"error\":\"%s\"}", first ? "" : ",", it.errmsg[0] ? it.errmsg : sl_err_name(err));
    fputc(']', out);
    sl_buf_free(&scratch);
}

static void dump_struct(FILE *out, const sl_struct_desc_t *sd, const void *m, int16_t version);

static void dump_value(FILE *out, const sl_field_desc_t *f, const void *p, int16_t version)
{
    switch ((sl_kind_t)f->kind) {
    case SL_K_BOOL: fputs(*(const bool *)p ? "true" : "false", out); break;
    case SL_K_INT8: fprintf(out, "%d", *(const int8_t *)p); break;
    case SL_K_INT16: fprintf(out, "%d", *(const int16_t *)p); break;
    case SL_K_UINT16: fprintf(out, "%u", *(const uint16_t *)p); break;
    case SL_K_INT32: fprintf(out, "%" PRId32, *(const int32_t *)p); break;
    case SL_K_UINT32: fprintf(out, "%" PRIu32, *(const uint32_t *)p); break;
    case SL_K_INT64: fprintf(out, "%" PRId64, *(const int64_t *)p); break;
    case SL_K_FLOAT64: fprintf(out, "%g", *(const double *)p); break;
    case SL_K_UUID: dump_uuid(out, p); break;
    case SL_K_STRING: {
        const sl_kstr_t *s = p;
        dump_str(out, s->ptr, s->len);
        break;
    }
    case SL_K_BYTES: {
        const sl_kbytes_t *b = p;
        dump_str(out, b->ptr, b->len);
        break;
    }
    case SL_K_RECORDS: dump_records(out, *(const sl_kbytes_t *)p); break;
    case SL_K_STRUCT: dump_struct(out, f->sdesc, p, version); break;
    }
}

static void dump_struct(FILE *out, const sl_struct_desc_t *sd, const void *m, int16_t version)
{
    const char *base = m;
    bool first = true;
    fputc('{', out);
    for (uint32_t i = 0; i < sd->nfields; i++) {
        const sl_field_desc_t *f = &sd->fields[i];
        if (!sl_vrange_has(f->versions, version))
            continue;
        fprintf(out, "%s\"%s\":", first ? "" : ",", f->name);
        first = false;
        const void *p = base + f->offset;
        if (!f->array) {
            dump_value(out, f, p, version);
            continue;
        }
        const sl_array_t *arr = p;
        if (arr->count < 0) {
            fputs("null", out);
            continue;
        }
        size_t esz = f->kind == SL_K_STRUCT ? f->sdesc->size : sl_kind_size((sl_kind_t)f->kind);
        fputc('[', out);
        for (int32_t j = 0; j < arr->count; j++) {
            if (j)
                fputc(',', out);
            dump_value(out, f, (const char *)arr->items + (size_t)j * esz, version);
        }
        fputc(']', out);
    }
    fputc('}', out);
}

void wiretap_dump(FILE *out, const sl_msg_desc_t *msg, const void *m, int16_t version)
{
    dump_struct(out, msg->root, m, version);
}
