-- finish: acknowledge an active (dequeued, unfinished) job and forget it.
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:queues
-- The queue's own keys, <tag>:queue:<qid> (job ids), <tag>:jobs:<qid> (job bodies) and <tag>:idle:<qid>
-- (its idle record), are derived from the tag and ARGV[1] (lua/include/jobs.lua): the same slot. Not passed
-- as KEYS: FCALL makes every key an interned Lua string, about 1.2k instructions each.
-- <tag>:delayed_counts is derived from KEYS[1] (read: delayed jobs keep the queue live), as are <tag>:ready
-- (a queue freed from its max_active is ready again) and <tag>:limits (a freed slot of the type wakes waiters).
-- ARGV[1] queue_id
-- ARGV[2] job_id
-- ARGV[3] idle TTL (ms): how long an idle queue's record is kept
--
-- Reply: 1 finished; 0 the job is not active (unknown, finished, or expired and requeued).
-- Cost: O(log n) in active jobs of the type (ZREM), the rest O(1).

-- @include common
-- @include lifecycle
-- @include flow
-- @include jobs

local active_key = KEYS[1]
local tag, now = tag_of(active_key, ':active'), now_us()
local finished = finish_job(tag, active_key, KEYS[2], ARGV[1], ARGV[2], now, tonumber(ARGV[3]))
free_type_slot(tag, active_key, finished, now)
return finished
