-- touch: extend the lease of an active job, so the requeue pass leaves it alone while its worker
-- still works on it. The requeue script reads expiries inside itself, so a touch and a pass never
-- interleave: either the pass saw the job expired first (and the touch answers not active), or the
-- job now expires extend_ms from now and the pass does not take it.
--
-- KEYS[1] <tag>:active
-- ARGV[1] queue_id
-- ARGV[2] job_id
-- ARGV[3] extension (ms): the job expires this long after the Redis time of this call
--
-- Reply: the new expiry (us), or -1 when the job is not active (unknown, finished or requeued).
--   A job whose lease ran out but that no pass has requeued yet is still active: it is extended.
-- Cost: O(log n) in active jobs of the type.

-- @include common

local member = ARGV[1] .. ':' .. ARGV[2]
if not redis.call('ZSCORE', KEYS[1], member) then
  return -1
end
local expires_us = now_us() + tonumber(ARGV[3]) * 1000
redis.call('ZADD', KEYS[1], 'XX', expires_us, member)
return expires_us
