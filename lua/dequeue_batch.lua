-- dequeue_batch: hand out up to `count` jobs of the queue type, each as dequeue.lua would (same
-- function), all at this call's Redis time: a queue with an interval is ready again only after
-- it, so it gives at most one job per call; a queue with interval 0 may give several (FIFO).
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:active
-- KEYS[3] <tag>:queues
-- KEYS[4] <tag>:totals
-- Each chosen queue's <tag>:queue:<qid>, <tag>:jobs:<qid> and <tag>:stats:<minute> are derived
-- from KEYS[1] (same hash tag, so the same cluster slot), as is <tag>:limits (the type's flow control).
-- ARGV[1] job expire interval (ms)
-- ARGV[2] count: the most jobs to hand out (bounded by the caller)
--
-- Reply: {next_ready_ms, refused, queue_id, job_id, payload, requeues_remaining, queue_length_after, attempt, trace, ...}
--   (7 fields per job, as dequeue.lua's)
--   next_ready_ms: when fewer than count jobs came out, ms from now until the type's next queue is
--   ready (0: now), or -1 when the type has no queued job; 0 when count jobs came out.
--   refused: '' or the type's limit that stopped the call with a queue ready (as in dequeue.lua); then
--   next_ready_ms is when it lifts (-1: a resume or a freed slot will wake waiters).
-- Cost: O(count log n) in ready queues; up to 3 inconsistent heads repaired per call.

-- @include common
-- @include lifecycle
-- @include flow
-- @include jobs

local ready_key = KEYS[1]
local tag = tag_of(ready_key, ':ready')
local expire_us, count = tonumber(ARGV[1]) * 1000, tonumber(ARGV[2])
local now = now_us()
promote_due(tag, now, PROMOTE_PER_CALL)
local reply = { 0, '' }
reply[1], reply[2] = dequeue_jobs(tag, ready_key, KEYS[2], KEYS[3], KEYS[4], now, expire_us, count, reply)
return reply
