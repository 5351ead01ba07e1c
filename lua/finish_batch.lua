-- finish_batch: acknowledge up to a bounded number of active jobs of one type (the caller splits
-- larger batches), each as finish.lua would (same function), in order.
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:queues
-- Each job's <tag>:queue:<qid>, <tag>:jobs:<qid> and <tag>:idle:<qid> are derived from KEYS[1]
-- (same hash tag, so the same cluster slot), as are <tag>:ready (a queue freed from its max_active is
-- ready again) and <tag>:limits (a freed slot of the type wakes waiters).
-- ARGV[1] idle TTL (ms): how long an idle queue's record is kept
-- ARGV[2..] queue_id, job_id pairs
--
-- Reply: {1 | 0, ...} per job in order: 1 finished, 0 not active.
-- Cost: O(log n) per job in active jobs of the type.

-- @include common
-- @include lifecycle
-- @include flow
-- @include jobs

local active_key, queues_key = KEYS[1], KEYS[2]
local tag = tag_of(active_key, ':active')
local idle_ttl_ms = tonumber(ARGV[1])
local now = now_us()
local reply, finished = {}, 0
for i = 2, #ARGV, 2 do
  reply[#reply + 1] = finish_job(tag, active_key, queues_key, ARGV[i], ARGV[i + 1], now, idle_ttl_ms)
  finished = finished + reply[#reply]
end
free_type_slot(tag, active_key, finished, now)
return reply
