-- pause: pause a queue, or every queue of a type, until resumed or for a while (SPEC 5.14). A paused
-- queue hands out no job and still takes enqueues; its active jobs go on and can be finished, failed
-- and touched. A queue may be paused before its first job: its meta is made, and stays while paused.
-- A new pause replaces the one before (a timed pause can end a pause until resumed, and back).
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:limits
-- KEYS[4] <tag>:paused
-- <tag>:queue:<qid> and <tag>:idle:<qid> are derived from KEYS[1] (same hash tag).
-- ARGV[1] queue_id, or '' to pause the whole type
-- ARGV[2] for (ms), or '' until resumed
--
-- Reply: the end of the pause (us, Redis time), or -1 until resumed.
-- Cost: O(log n) in ready and paused queues of the type.

-- @include common
-- @include lifecycle
-- @include flow

local ready_key, queues_key = KEYS[1], KEYS[2]
local tag = tag_of(ready_key, ':ready')
local qid, for_ms = ARGV[1], tonumber(ARGV[2])
local now = now_us()
local until_us = for_ms and now + for_ms * 1000 or PAUSED_UNTIL_RESUMED

if qid == '' then
  -- Dequeue reads it with the type's other limits (open_gate); waiters refused by it wait for resume.
  redis.call('HSET', KEYS[3], 'paused', int_str(until_us))
  return until_us
end

local m = read_meta(queues_key, qid) or revive_meta(tag, qid, 0)
pause_queue(tag, ready_key, qid, m, until_us, now, false)
write_meta(queues_key, qid, m)
return until_us
