-- fail_next: fail.lua and then dequeue.lua of the same type, in one call (SPEC 5.15): a worker whose
-- job failed gets its next job in the same request.
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:ready
-- KEYS[3] <tag>:queues
-- KEYS[4] <tag>:totals
-- KEYS[5] <tag>:dead_index   (<tag>:dead_jobs is derived from it)
-- The queue's own keys, <tag>:queue:<qid> (job ids), <tag>:jobs:<qid> (job bodies) and <tag>:idle:<qid>
-- (its idle record), are derived from the tag and ARGV[1] (lua/include/jobs.lua): the same slot. Not passed
-- as KEYS: FCALL makes every key an interned Lua string, about 1.2k instructions each.
-- <tag>:delayed, <tag>:delayed_counts, <tag>:stats:<minute>, <tag>:limits and <tag>:paused are derived from KEYS[1].
-- ARGV[1..7] as fail.lua
-- ARGV[8] job expire interval (ms) of the next job
--
-- Reply: {'none'} the job is not active (nothing is handed out)
--      | {outcome ('retry' | 'dead'), run_at_us (0 for dead), 0, refused}  nothing handed out next
--        (refused: '' or the type's limit that held back a ready queue, as in dequeue.lua)
--      | {outcome, run_at_us, 1, queue_id, job_id, payload, requeues_remaining, queue_length_after, attempt, trace}
--        (the next job's fields as dequeue.lua's)
-- Cost: fail.lua's plus dequeue.lua's.

-- @include common
-- @include lifecycle
-- @include flow
-- @include jobs
-- @include fail

local k = { active = KEYS[1], ready = KEYS[2], queues = KEYS[3], totals = KEYS[4] }
local tag = tag_of(k.active, ':active')
local now = now_us()
local outcome, run_at = fail_job(tag, k, ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]),
  tonumber(ARGV[7]), now)
if outcome == 'none' then return { outcome } end
promote_due(tag, now, PROMOTE_PER_CALL)
local gated = open_gate(tag, k.active, now)
local out = dequeue_job(tag, k.ready, k.active, k.queues, k.totals, now, tonumber(ARGV[8]) * 1000, { left = 3 }, nil, gated)
close_gate(tag)
-- The slot this fail freed, unless the next job took it.
free_type_slot(tag, k.active, out and 0 or 1, now)
if not out then return { outcome, run_at or 0, 0, gate_refused or '' } end
return { outcome, run_at or 0, 1, out.qid, out.jid, out.job.payload, out.job.remaining, out.queue_length, out.job.retries + 1,
  out.job.trace or '' }
