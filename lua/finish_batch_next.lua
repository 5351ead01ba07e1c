-- finish_batch_next: finish_batch.lua and then dequeue_batch.lua of the same type, in one call
-- (SPEC 5.15): a batch worker acknowledges its jobs and takes the next ones in one request.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:active
-- KEYS[3] <tag>:queues
-- KEYS[4] <tag>:totals
-- Each job's <tag>:queue:<qid>, <tag>:jobs:<qid> and <tag>:idle:<qid> are derived from KEYS[1] (same
-- hash tag), as are <tag>:delayed, <tag>:delayed_counts, <tag>:stats:<minute> and <tag>:limits.
-- ARGV[1] idle TTL (ms)
-- ARGV[2] job expire interval (ms) of the jobs handed out
-- ARGV[3] count: the most jobs to hand out (bounded by the caller)
-- ARGV[4..] queue_id, job_id pairs to finish (bounded by the caller)
--
-- Reply: {finished_1, ..., finished_n, next_ready_ms, refused, queue_id, job_id, payload, requeues_remaining,
--         queue_length_after, attempt, trace, ...}: n = the pairs given, 1 finished / 0 not active each;
--         next_ready_ms and refused as dequeue_batch.lua's first two fields, then 7 fields per job handed out.
-- Cost: finish_batch.lua's plus dequeue_batch.lua's.

-- @include common
-- @include lifecycle
-- @include flow
-- @include jobs

local ready_key, active_key, queues_key, totals_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local tag = tag_of(ready_key, ':ready')
local idle_ttl_ms, expire_us, count = tonumber(ARGV[1]), tonumber(ARGV[2]) * 1000, tonumber(ARGV[3])
local now = now_us()
local reply, finished = {}, 0
for i = 4, #ARGV, 2 do
  reply[#reply + 1] = finish_job(tag, active_key, queues_key, ARGV[i], ARGV[i + 1], now, idle_ttl_ms)
  finished = finished + reply[#reply]
end
local next_ready_at = #reply + 1
reply[next_ready_at] = 0
reply[next_ready_at + 1] = ''
promote_due(tag, now, PROMOTE_PER_CALL)
local handed
reply[next_ready_at], reply[next_ready_at + 1], handed =
  dequeue_jobs(tag, ready_key, active_key, queues_key, totals_key, now, expire_us, count, reply)
-- Slots the finishes freed and the next jobs did not take.
free_type_slot(tag, active_key, math.max(0, finished - handed), now)
return reply
