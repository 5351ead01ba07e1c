-- finish_next: finish.lua and then dequeue.lua of the same type, in one call (SPEC 5.15): a worker
-- makes one request per job, finishing one and getting the next.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:active
-- KEYS[3] <tag>:queues
-- KEYS[4] <tag>:totals
-- The queue's own keys, <tag>:queue:<qid> (job ids), <tag>:jobs:<qid> (job bodies) and <tag>:idle:<qid>
-- (its idle record), are derived from the tag and ARGV[1] (lua/include/jobs.lua): the same slot. Not passed
-- as KEYS: FCALL makes every key an interned Lua string, about 1.2k instructions each.
-- <tag>:delayed, <tag>:delayed_counts, <tag>:stats:<minute>, <tag>:limits and <tag>:paused are derived from KEYS[1].
-- ARGV[1] queue_id
-- ARGV[2] job_id
-- ARGV[3] idle TTL (ms)
-- ARGV[4] job expire interval (ms) of the next job
--
-- Reply: {0} the job is not active (nothing is handed out)
--      | {1, 0, refused} finished, nothing handed out next (refused: '' or the type's limit that held
--        back a ready queue, as in dequeue.lua)
--      | {1, 1, queue_id, job_id, payload, requeues_remaining, queue_length_after, attempt, trace} (as dequeue.lua)
-- Cost: finish.lua's plus dequeue.lua's: O(log n) in active jobs and ready queues of the type.

-- @include common
-- @include lifecycle
-- @include flow
-- @include jobs

local ready_key, active_key, queues_key, totals_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local tag = tag_of(ready_key, ':ready')
local now = now_us()
if finish_job(tag, active_key, queues_key, ARGV[1], ARGV[2], now, tonumber(ARGV[3])) == 0 then return { 0 } end
promote_due(tag, now, PROMOTE_PER_CALL)
local gated = open_gate(tag, active_key, now)
local out = dequeue_job(tag, ready_key, active_key, queues_key, totals_key, now, tonumber(ARGV[4]) * 1000, { left = 3 },
  nil, gated)
close_gate(tag)
-- The slot this finish freed, unless the next job took it.
free_type_slot(tag, active_key, out and 0 or 1, now)
if not out then return { 1, 0, gate_refused or '' } end
return { 1, 1, out.qid, out.jid, out.job.payload, out.job.remaining, out.queue_length, out.job.retries + 1, out.job.trace or '' }
