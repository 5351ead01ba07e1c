-- enqueue: append a job to its queue, creating the queue on first use.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:totals
-- KEYS[4] <tag>:queue:<qid>   the queue's job ids
-- KEYS[5] <tag>:jobs:<qid>    the queue's job bodies
-- KEYS[6] <tag>:idle:<qid>    the queue's idle record (revived when the queue becomes live)
-- ARGV[1] queue_id
-- ARGV[2] job_id
-- ARGV[3] payload (JSON text)
-- ARGV[4] interval (ms)
-- ARGV[5] requeue limit (-1 forever, 0 never, N times)
-- ARGV[6] max queued length, or '' for no limit
--
-- Reply: {'queued' | 'duplicate' | 'rejected', queue_length} (the queue's length before this call)
--   duplicate: the job id is already queued or active in this queue (nothing changes);
--   rejected: the queue already holds max queued length jobs (nothing changes).
-- Cost: O(1).

-- @include common

local ready_key, queues_key, totals_key, queue_key, jobs_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local qid, jid, payload = ARGV[1], ARGV[2], ARGV[3]
local interval_ms, requeue_limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local tag = tag_of(ready_key, ':ready')

local queue_length = redis.call('LLEN', queue_key)
if redis.call('HEXISTS', jobs_key, jid) == 1 then
  return { 'duplicate', queue_length }
end
if ARGV[6] ~= '' and queue_length >= tonumber(ARGV[6]) then
  return { 'rejected', queue_length }
end

local now = now_us()
local m = read_meta(queues_key, qid)
if not m then
  m = revive_meta(tag, qid, interval_ms)
elseif not m.pinned and m.interval ~= interval_ms then
  apply_interval(ready_key, qid, m, interval_ms, now)
end

redis.call('RPUSH', queue_key, jid)
redis.call('HSET', jobs_key, jid, format_job({ remaining = requeue_limit, limit = requeue_limit, cost = 1, payload = payload }))
write_meta(queues_key, qid, m)
if queue_length == 0 then
  redis.call('ZADD', ready_key, earliest_dequeue(m, now), qid)
end
redis.call('HINCRBY', totals_key, 'queued', 1)
count_in_stats(tag, now, 'enq', qid)
return { 'queued', queue_length }
