-- dequeue: hand out the next job of the queue type from the queue that has been ready longest.
--
-- KEYS[1] <tag>:ready    ZSET of queues with queued jobs, by earliest dequeue time (us)
-- KEYS[2] <tag>:active   ZSET of dequeued jobs, by expiry time (us)
-- KEYS[3] <tag>:queues   HASH of queue meta
-- KEYS[4] <tag>:totals   HASH of type totals
-- The chosen queue's <tag>:queue:<qid>, <tag>:jobs:<qid> and <tag>:stats:<minute> are derived from
-- KEYS[1] (same hash tag, so the same cluster slot), as are <tag>:delayed, <tag>:delayed_counts and
-- <tag>:limits (the type's flow control, lua/include/flow.lua).
-- ARGV[1] job expire interval (ms)
--
-- Reply: {1, queue_id, job_id, payload, requeues_remaining, queue_length_after, attempt, trace}
--   attempt: this delivery's number, 1 for the first (the job's retries + 1)
--   trace: the W3C trace context its enqueue kept ('' for none; see parse_job)
--        {0, next_ready_us, refused}  when no job comes out: refused is '' when no queue is ready, and
--          next_ready_us the earliest time a queue becomes ready or a delayed job comes due (-1 when the
--          type has neither queued nor delayed jobs); or refused names the type's limit that held back a
--          ready queue ('type_paused', 'type_max_active', 'type_rate': lua/include/flow.lua), and
--          next_ready_us is when it lifts (-1: a resume or a freed slot will wake waiters)
--
-- Cost: ZPOPMIN of the ready set's head (and ZADD back while its queue keeps jobs) is O(log n) in
-- ready queues; promoting up to PROMOTE_PER_CALL due delayed jobs first is O(log d) in delayed
-- jobs; everything else is O(1).
-- Up to 3 inconsistent heads (a ready queue without a job) are repaired and skipped per call.

-- @include common
-- @include lifecycle
-- @include flow
-- @include jobs

local ready_key = KEYS[1]
local tag = tag_of(ready_key, ':ready')
local now = now_us()
promote_due(tag, now, PROMOTE_PER_CALL)
local budget = { left = 3 }
local gated = open_gate(tag, KEYS[2], now)
local out = dequeue_job(tag, ready_key, KEYS[2], KEYS[3], KEYS[4], now, tonumber(ARGV[1]) * 1000, budget, nil, gated)
close_gate(tag)
if out then
  return { 1, out.qid, out.jid, out.job.payload, out.job.remaining, out.queue_length, out.job.retries + 1, out.job.trace or '' }
end
if gate_refused then
  return { 0, gate_retry_us or -1, gate_refused }
end
if budget.left == 0 then
  return { 0, -1, '' }
end
return { 0, next_ready_us(tag, ready_key, budget.ready_head_us) or -1, '' }
