/*
 * group_admin.c - the group admin APIs over the coordinator's groups:
 * DescribeGroups (v0-5), ListGroups (v0-4, with the v4 states filter),
 * DeleteGroups (v0-2) and OffsetDelete (v0). A group exists while it has
 * members, committed offsets or a generation; DescribeGroups answers an
 * unknown one as Kafka does, without an error and in state Dead.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker_int.h"
#include "group.h"
#include "group_int.h"

static sl_kstr_t adup(sl_arena_t *arena, const char *s)
{
    if (!s)
        return sl_kstr("");
    char *c = sl_arena_strndup(arena, s, strlen(s));
    return c ? sl_kstr(c) : sl_kstr("");
}

static sl_kbytes_t bdup(sl_arena_t *arena, sl_kbytes_t b)
{
    sl_kbytes_t out = {(const uint8_t *)"", 0};
    if (b.len > 0 && b.ptr) {
        uint8_t *c = sl_arena_memdup(arena, b.ptr, (size_t)b.len);
        if (c) {
            out.ptr = c;
            out.len = b.len;
        }
    }
    return out;
}

/* Fills one described group; false on no memory. */
static bool describe_one(sl_broker_req_t *req, sl_kstr_t id, sl_DescribeGroupsResponse_DescribedGroup_t *dg)
{
    sl_arena_t *arena = &req->arena;
    sl_DescribeGroupsResponse_DescribedGroup_init(dg);
    dg->GroupId = id;
    dg->ProtocolType = sl_kstr("");
    dg->ProtocolData = sl_kstr("");
    if (id.len <= 0) {
        dg->ErrorCode = SL_ERR_INVALID_GROUP_ID;
        dg->GroupState = sl_kstr("");
        return true;
    }
    int16_t err = 0;
    sl_coord_group_t *cg = sl_coord_group_find(req->broker, id, &err);
    if (!cg) {
        dg->ErrorCode = err;
        dg->GroupState = sl_kstr(err ? "" : "Dead");
        return true;
    }
    sl_group_t *g = sl_coord_group_lock(cg);
    sl_group_state_t st = sl_group_state(g);
    bool stable = st == SL_GROUP_STABLE;
    dg->GroupState = sl_kstr(sl_group_state_name(st));
    dg->ProtocolType = adup(arena, sl_group_protocol_type(g));
    dg->ProtocolData = stable ? adup(arena, sl_group_protocol_name(g)) : sl_kstr("");
    int32_t n = sl_group_member_count(g);
    dg->Members.items = sl_arena_calloc(arena, (size_t)n + 1, sizeof *dg->Members.items);
    bool ok = dg->Members.items != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        const char *mid, *cid, *iid;
        sl_kbytes_t meta, assign;
        if (!sl_group_member_at(g, i, &mid, &cid, &iid, &meta, &assign))
            break;
        sl_DescribeGroupsResponse_DescribedGroupMember_t *m = &dg->Members.items[dg->Members.count++];
        sl_DescribeGroupsResponse_DescribedGroupMember_init(m);
        m->MemberId = adup(arena, mid);
        m->GroupInstanceId = iid ? adup(arena, iid) : sl_kstr_null();
        m->ClientId = adup(arena, cid);
        m->ClientHost = adup(arena, sl_group_member_host(g, i));
        /* Kafka shows subscriptions and assignments of a Stable group only */
        m->MemberMetadata = stable ? bdup(arena, meta) : (sl_kbytes_t){(const uint8_t *)"", 0};
        m->MemberAssignment = stable ? bdup(arena, assign) : (sl_kbytes_t){(const uint8_t *)"", 0};
    }
    sl_coord_group_unlock(cg);
    return ok;
}

void sl_broker_handle_describe_groups(sl_broker_req_t *req)
{
    const sl_DescribeGroupsRequest_t *dreq = req->body;
    sl_DescribeGroupsResponse_t resp;
    sl_DescribeGroupsResponse_init(&resp);
    int32_t n = SL_MAX(dreq->Groups.count, 0);
    resp.Groups.items = sl_arena_calloc(&req->arena, (size_t)n + 1, sizeof *resp.Groups.items);
    if (!resp.Groups.items)
        goto nomem;
    resp.Groups.count = n;
    for (int32_t i = 0; i < n; i++)
        if (!describe_one(req, dreq->Groups.items[i], &resp.Groups.items[i]))
            goto nomem;
    sl_broker_req_reply(req, &resp);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the DescribeGroups response (arena limit)");
}

static bool state_wanted(const sl_kstr_array_t *filter, const char *state)
{
    if (filter->count <= 0)
        return true;
    for (int32_t i = 0; i < filter->count; i++) {
        sl_kstr_t f = filter->items[i];
        if (f.len >= 0 && (size_t)f.len == strlen(state) && strncasecmp(f.ptr, state, (size_t)f.len) == 0)
            return true;
    }
    return false;
}

void sl_broker_handle_list_groups(sl_broker_req_t *req)
{
    const sl_ListGroupsRequest_t *lreq = req->body;
    sl_ListGroupsResponse_t resp;
    sl_ListGroupsResponse_init(&resp);
    char **ids = NULL;
    int32_t n = sl_coord_group_ids(req->broker, &ids, &resp.ErrorCode);
    if (n < 0) {
        sl_broker_req_close(req, "no memory for the ListGroups response");
        return;
    }
    resp.Groups.items = sl_arena_calloc(&req->arena, (size_t)n + 1, sizeof *resp.Groups.items);
    bool ok = resp.Groups.items != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        int16_t err = 0;
        sl_coord_group_t *cg = sl_coord_group_find(req->broker, sl_kstr(ids[i]), &err);
        if (!cg)
            continue;
        sl_group_t *g = sl_coord_group_lock(cg);
        const char *state = sl_group_state_name(sl_group_state(g));
        sl_kstr_t ptype = adup(&req->arena, sl_group_protocol_type(g));
        sl_coord_group_unlock(cg);
        if (!state_wanted(&lreq->StatesFilter, state))
            continue;
        sl_ListGroupsResponse_ListedGroup_t *lg = &resp.Groups.items[resp.Groups.count++];
        sl_ListGroupsResponse_ListedGroup_init(lg);
        lg->GroupId = adup(&req->arena, ids[i]);
        /* an Empty group that only holds offsets has no protocol type: Kafka
         * lists it with "" too */
        lg->ProtocolType = ptype;
        lg->GroupState = sl_kstr(state);
    }
    for (int32_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    if (!ok) {
        sl_broker_req_close(req, "no memory for the ListGroups response (arena limit)");
        return;
    }
    sl_broker_req_reply(req, &resp);
}

void sl_broker_handle_delete_groups(sl_broker_req_t *req)
{
    const sl_DeleteGroupsRequest_t *dreq = req->body;
    sl_DeleteGroupsResponse_t resp;
    sl_DeleteGroupsResponse_init(&resp);
    int32_t n = SL_MAX(dreq->GroupsNames.count, 0);
    resp.Results.items = sl_arena_calloc(&req->arena, (size_t)n + 1, sizeof *resp.Results.items);
    if (!resp.Results.items) {
        sl_broker_req_close(req, "no memory for the DeleteGroups response (arena limit)");
        return;
    }
    resp.Results.count = n;
    for (int32_t i = 0; i < n; i++) {
        sl_DeleteGroupsResponse_DeletableGroupResult_t *r = &resp.Results.items[i];
        sl_DeleteGroupsResponse_DeletableGroupResult_init(r);
        r->GroupId = dreq->GroupsNames.items[i];
        r->ErrorCode = r->GroupId.len > 0 ? sl_coord_group_delete(req->broker, r->GroupId) : SL_ERR_INVALID_GROUP_ID;
    }
    sl_broker_req_reply(req, &resp);
}

/* ======================================================================
 * OffsetDelete
 * ====================================================================== */

void sl_broker_handle_offset_delete(sl_broker_req_t *req)
{
    const sl_OffsetDeleteRequest_t *dreq = req->body;
    sl_arena_t *arena = &req->arena;
    sl_OffsetDeleteResponse_t resp;
    sl_OffsetDeleteResponse_init(&resp);
    int32_t nt = SL_MAX(dreq->Topics.count, 0);
    resp.Topics.items = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *resp.Topics.items);
    if (!resp.Topics.items)
        goto nomem;
    for (int32_t i = 0; i < nt; i++) {
        const sl_OffsetDeleteRequest_OffsetDeleteRequestTopic_t *t = &dreq->Topics.items[i];
        sl_OffsetDeleteResponse_OffsetDeleteResponseTopic_t *rt = &resp.Topics.items[i];
        sl_OffsetDeleteResponse_OffsetDeleteResponseTopic_init(rt);
        rt->Name = t->Name;
        int32_t np = SL_MAX(t->Partitions.count, 0);
        rt->Partitions.items = sl_arena_calloc(arena, (size_t)np + 1, sizeof *rt->Partitions.items);
        if (!rt->Partitions.items)
            goto nomem;
        rt->Partitions.count = np;
        for (int32_t j = 0; j < np; j++) {
            sl_OffsetDeleteResponse_OffsetDeleteResponsePartition_init(&rt->Partitions.items[j]);
            rt->Partitions.items[j].PartitionIndex = t->Partitions.items[j].PartitionIndex;
        }
    }
    resp.Topics.count = nt;
    int16_t err = 0;
    sl_coord_group_t *cg = dreq->GroupId.len > 0 ? sl_coord_group_find(req->broker, dreq->GroupId, &err) : NULL;
    if (!cg) {
        resp.ErrorCode = dreq->GroupId.len <= 0 ? SL_ERR_INVALID_GROUP_ID : err ? err : SL_ERR_GROUP_ID_NOT_FOUND;
        resp.Topics.count = 0;
        sl_broker_req_reply(req, &resp);
        return;
    }
    sl_group_t *g = sl_coord_group_lock(cg);
    sl_group_state_t st = sl_group_state(g);
    const char *ptype = sl_group_protocol_type(g);
    bool consumer = ptype && strcmp(ptype, "consumer") == 0;
    if (st != SL_GROUP_EMPTY && !consumer) {
        resp.ErrorCode = SL_ERR_NON_EMPTY_GROUP; /* Kafka: only consumer groups can tell */
        resp.Topics.count = 0;
    } else {
        sl_map_t keys;
        sl_map_init(&keys);
        bool ok = true;
        for (int32_t i = 0; i < nt && ok; i++) {
            const sl_OffsetDeleteRequest_OffsetDeleteRequestTopic_t *t = &dreq->Topics.items[i];
            sl_OffsetDeleteResponse_OffsetDeleteResponseTopic_t *rt = &resp.Topics.items[i];
            /* an unreadable subscription counts as not subscribed (Kafka's isSubscribedToTopic) */
            bool busy = st != SL_GROUP_EMPTY && sl_coord_subscribes(g, t->Name, arena) == 1;
            for (int32_t j = 0; j < rt->Partitions.count && ok; j++) {
                sl_OffsetDeleteResponse_OffsetDeleteResponsePartition_t *rp = &rt->Partitions.items[j];
                sl_partition_t *part = NULL;
                if (t->Name.len <= 0 || sl_broker_partition_get(req->broker, t->Name.ptr, (size_t)t->Name.len,
                                                                rp->PartitionIndex, &part) != SL_OK) {
                    rp->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                    continue;
                }
                sl_partition_unref(part);
                if (busy) {
                    rp->ErrorCode = SL_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
                    continue;
                }
                if (!sl_offsets_get(&cg->offsets, t->Name, rp->PartitionIndex))
                    continue; /* nothing committed: deleted already */
                uint8_t key[512];
                size_t kl = sl_offsets_key(key, sizeof key, t->Name, rp->PartitionIndex);
                ok = sl_map_put(&keys, key, kl, (void *)1, NULL) == SL_OK;
            }
        }
        int16_t werr = !ok ? SL_ERR_UNKNOWN_SERVER_ERROR
                           : sl_map_count(&keys) ? sl_coord_offsets_remove_locked(cg, &keys) : 0;
        if (werr) {
            resp.ErrorCode = werr;
            resp.Topics.count = 0;
        }
        sl_map_fini(&keys, NULL);
    }
    sl_coord_group_unlock(cg);
    sl_broker_req_reply(req, &resp);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the OffsetDelete response (arena limit)");
}
