-- finish: acknowledge an active (dequeued, unfinished) job and forget it.
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:queue:<qid>   (read: is the queue now idle?)
-- KEYS[4] <tag>:jobs:<qid>
-- KEYS[5] <tag>:idle:<qid>    (written when the queue goes idle)
-- <tag>:delayed_counts is derived from KEYS[1] (read: delayed jobs keep the queue live).
-- ARGV[1] queue_id
-- ARGV[2] job_id
-- ARGV[3] idle TTL (ms): how long an idle queue's record is kept
--
-- Reply: 1 finished; 0 the job is not active (unknown, finished, or expired and requeued).
-- Cost: O(log n) in active jobs of the type (ZREM), the rest O(1).

-- @include common

local active_key, queues_key = KEYS[1], KEYS[2]
local qid, jid = ARGV[1], ARGV[2]
local tag = tag_of(active_key, ':active')

if redis.call('ZREM', active_key, qid .. ':' .. jid) == 0 then
  return 0
end
redis.call('HDEL', KEYS[4], jid)
local m = read_meta(queues_key, qid)
if m then
  if m.active > 0 then m.active = m.active - 1 end
  save_or_forget(tag, queues_key, qid, m, now_us(), tonumber(ARGV[3]))
end
return 1
