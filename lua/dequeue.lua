-- dequeue: hand out the next job of the queue type from the queue that has been ready longest.
--
-- KEYS[1] <tag>:ready    ZSET of queues with queued jobs, by earliest dequeue time (us)
-- KEYS[2] <tag>:active   ZSET of dequeued jobs, by expiry time (us)
-- KEYS[3] <tag>:queues   HASH of queue meta
-- KEYS[4] <tag>:totals   HASH of type totals
-- The chosen queue's <tag>:queue:<qid>, <tag>:jobs:<qid> and <tag>:stats:<minute> are derived from
-- KEYS[1] (same hash tag, so the same cluster slot).
-- ARGV[1] job expire interval (ms)
--
-- Reply: {1, queue_id, job_id, payload, requeues_remaining, queue_length_after}
--        {0, next_ready_us}  when no queue is ready (next_ready_us = -1 when the type has no queued job)
--
-- Cost: ZRANGEBYSCORE ... LIMIT 0 1 is O(log n) in ready queues; everything else is O(1).
-- Up to 3 inconsistent heads (a ready queue without a job) are repaired and skipped per call.

-- @include common

local ready_key, active_key, queues_key, totals_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local expire_us = tonumber(ARGV[1]) * 1000
local tag = tag_of(ready_key, ':ready')
local now = now_us()

for _ = 1, 3 do
  local head = redis.call('ZRANGEBYSCORE', ready_key, '-inf', now, 'LIMIT', 0, 1)
  local qid = head[1]
  if not qid then
    local next_ready = redis.call('ZRANGE', ready_key, 0, 0, 'WITHSCORES')
    return { 0, next_ready[2] and tonumber(next_ready[2]) or -1 }
  end

  local queue_key = queue_key_of(tag, qid)
  local jid = redis.call('LPOP', queue_key)
  if not jid then
    redis.call('ZREM', ready_key, qid)
  else
    redis.call('HINCRBY', totals_key, 'queued', -1)
    local raw = redis.call('HGET', jobs_key_of(tag, qid), jid)
    local m = read_meta(queues_key, qid) or { interval = 0, pinned = false, active = 0, last = 0 }
    local queue_length = redis.call('LLEN', queue_key)
    if queue_length > 0 then
      redis.call('ZADD', ready_key, now + m.interval * 1000, qid)
    else
      redis.call('ZREM', ready_key, qid)
    end
    if raw then
      m.active = m.active + 1
      m.last = now
      write_meta(queues_key, qid, m)
      redis.call('ZADD', active_key, now + expire_us, qid .. ':' .. jid)
      count_in_stats(tag, now, 'deq', qid)
      local job = parse_job(raw)
      return { 1, qid, jid, job.payload, job.remaining, queue_length }
    end
    -- A job id without its body cannot be handed out; drop it and look again.
    save_or_forget(tag, queues_key, qid, m, now, 0)
  end
end
return { 0, -1 }
