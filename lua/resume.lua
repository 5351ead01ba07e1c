-- resume: end the pause of a queue, or of a type (SPEC 5.14): its ready jobs are available at once
-- and waiting requests are woken. Resuming what is not paused changes nothing.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:limits
-- KEYS[4] <tag>:paused
-- <tag>:queue:<qid>, <tag>:idle:<qid> and <tag>:delayed_counts are derived from KEYS[1] (same hash tag).
-- ARGV[1] queue_id, or '' to resume the whole type
-- ARGV[2] idle TTL (ms): how long a queue that goes idle keeps its record
--
-- Reply: 1
-- Cost: O(log n) in ready and paused queues of the type.

-- @include common
-- @include lifecycle
-- @include flow

local ready_key, queues_key = KEYS[1], KEYS[2]
local tag = tag_of(ready_key, ':ready')
local qid = ARGV[1]
local now = now_us()

if qid == '' then
  if redis.call('HDEL', KEYS[3], 'paused') == 1 then
    -- Waiters refused while the type was paused wait for this.
    local head = redis.call('ZRANGE', ready_key, '0', '0', 'WITHSCORES')
    if head[2] then signal_ready(tag, math.max(now, tonumber(head[2]))) end
  end
  return 1
end

local m = read_meta(queues_key, qid)
if not m then
  redis.call('ZREM', KEYS[4], qid)
  return 1
end
resume_queue(tag, ready_key, qid, m, now)
-- An empty queue kept live only by its pause goes idle now.
save_or_forget(tag, queues_key, qid, m, now, tonumber(ARGV[2]))
return 1
