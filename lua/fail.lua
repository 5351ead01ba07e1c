-- fail: end an active job's lease at once because its handler failed, and in the same step either
-- retry it (while its requeue limit allows) or discard it into the dead letters with reason
-- 'failed' (fail_job in lua/include/fail.lua says how).
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:ready
-- KEYS[3] <tag>:queues
-- KEYS[4] <tag>:totals
-- KEYS[5] <tag>:dead_index   (<tag>:dead_jobs is derived from it)
-- The queue's own keys, <tag>:queue:<qid> (job ids), <tag>:jobs:<qid> (job bodies) and <tag>:idle:<qid>
-- (its idle record), are derived from the tag and ARGV[1] (lua/include/jobs.lua): the same slot. Not passed
-- as KEYS: FCALL makes every key an interned Lua string, about 1.2k instructions each.
-- <tag>:delayed, <tag>:delayed_counts, <tag>:limits and <tag>:paused (a hold pauses the queue) are derived
-- from KEYS[1] (same hash tag).
-- ARGV[1] queue_id
-- ARGV[2] job_id
-- ARGV[3] error text ('' for none: the job keeps its earlier error, if any)
-- ARGV[4] retry in (ms), or '' for the job's back-off
-- ARGV[5] hold the queue this long (ms; 0: no hold)
-- ARGV[6] dead-letter limit: discarded jobs kept (0 keeps none)
-- ARGV[7] idle TTL (ms): how long an idle queue's record is kept
--
-- Reply: {'retry', run_at_us} the job is retried and is due then (at the front of its queue; a hold
--        of its queue may keep it longer) | {'dead'} discarded | {'none'} the job is not active.
-- Cost: O(log n) in active, delayed and ready entries of the type; O(1) else (a dead letter trims at
--   most FAIL_MAX_TRIM older ones).

-- @include common
-- @include lifecycle
-- @include flow
-- @include fail

local k = { active = KEYS[1], ready = KEYS[2], queues = KEYS[3], totals = KEYS[4] }
local tag, now = tag_of(k.active, ':active'), now_us()
local outcome, run_at = fail_job(tag, k, ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]),
  tonumber(ARGV[7]), now)
if outcome ~= 'none' then free_type_slot(tag, k.active, 1, now) end
if outcome == 'retry' then return { outcome, run_at } end
return { outcome }
