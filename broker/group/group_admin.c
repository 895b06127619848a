/*
 * group_admin.c - the group admin APIs over the coordinator's groups:
 * DescribeGroups (v0-5), ListGroups (v0-4, with the v4 states filter) and
 * DeleteGroups (v0-2). A group exists while it has members or committed
 * offsets; DescribeGroups answers an unknown one as Kafka does, without an
 * error and in state Dead.
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
    sl_coord_group_t *cg = sl_coord_group_find(req->broker, id);
    if (!cg) {
        dg->GroupState = sl_kstr("Dead");
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
        m->ClientHost = sl_kstr(""); /* not recorded */
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
    int32_t n = sl_coord_group_ids(req->broker, &ids);
    if (n < 0) {
        sl_broker_req_close(req, "no memory for the ListGroups response");
        return;
    }
    resp.Groups.items = sl_arena_calloc(&req->arena, (size_t)n + 1, sizeof *resp.Groups.items);
    bool ok = resp.Groups.items != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        sl_coord_group_t *cg = sl_coord_group_find(req->broker, sl_kstr(ids[i]));
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
