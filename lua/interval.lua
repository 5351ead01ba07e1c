-- interval: set a queue's interval through the Interval API and pin it, so later enqueues do not
-- overwrite it, until the queue has no queued and no active job left.
--
-- A queue that went idle (see <tag>:idle:<qid>) still exists: its interval is set and pinned for
-- the queue's next life, until it is idle again.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:idle:<qid>
-- ARGV[1] queue_id
-- ARGV[2] interval (ms)
--
-- Reply: 1 updated; 0 no such queue (neither live nor idle).
-- Cost: O(log n) in ready queues (ZADD XX), the rest O(1).

-- @include common

local ready_key, queues_key = KEYS[1], KEYS[2]
local qid, interval_ms = ARGV[1], tonumber(ARGV[2])

local m = read_meta(queues_key, qid)
if not m then
  local raw = redis.call('GET', KEYS[3])
  if not raw then return 0 end
  m = parse_meta(raw)
  m.interval, m.pinned = interval_ms, true
  redis.call('SET', KEYS[3], format_meta(m), 'KEEPTTL')
  return 1
end
apply_interval(ready_key, qid, m, interval_ms, now_us())
m.pinned = true
write_meta(queues_key, qid, m)
return 1
