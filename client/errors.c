/*
 * errors.c - which errors the client retries: the codes whose exceptions
 * the Java client (Kafka 3.4) derives from RetriableException (directly or
 * through InvalidMetadataException), plus Sluice's own timeout.
 */
#include "core_int.h"

bool sl_cl_err_retriable(sl_err_t err)
{
    switch (err) {
    case SL_ERR_CORRUPT_MESSAGE:
    case SL_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case SL_ERR_LEADER_NOT_AVAILABLE:
    case SL_ERR_NOT_LEADER_OR_FOLLOWER:
    case SL_ERR_REQUEST_TIMED_OUT:
    case SL_ERR_REPLICA_NOT_AVAILABLE:
    case SL_ERR_NETWORK_EXCEPTION:
    case SL_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case SL_ERR_COORDINATOR_NOT_AVAILABLE:
    case SL_ERR_NOT_COORDINATOR:
    case SL_ERR_NOT_ENOUGH_REPLICAS:
    case SL_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case SL_ERR_NOT_CONTROLLER:
    case SL_ERR_CONCURRENT_TRANSACTIONS:
    case SL_ERR_KAFKA_STORAGE_ERROR:
    case SL_ERR_FETCH_SESSION_ID_NOT_FOUND:
    case SL_ERR_INVALID_FETCH_SESSION_EPOCH:
    case SL_ERR_LISTENER_NOT_FOUND:
    case SL_ERR_FENCED_LEADER_EPOCH:
    case SL_ERR_UNKNOWN_LEADER_EPOCH:
    case SL_ERR_OFFSET_NOT_AVAILABLE:
    case SL_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
    case SL_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE:
    case SL_ERR_UNSTABLE_OFFSET_COMMIT:
    case SL_ERR_THROTTLING_QUOTA_EXCEEDED:
    case SL_ERR_UNKNOWN_TOPIC_ID:
    case SL_ERR_INCONSISTENT_TOPIC_ID:
    case SL_ERR_FETCH_SESSION_TOPIC_ID_ERROR:
    case SL_ERR_TIMEOUT:
        return true;
    default:
        return false;
    }
}
