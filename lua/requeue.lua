-- requeue: one bounded batch of the requeue pass. Jobs whose expiry has passed leave the active
-- set; each goes back to the front of its queue while it has requeues left, otherwise it is
-- discarded into the type's dead letters. The decision and the move happen in this one
-- script, so overlapping passes can never requeue a job twice or past its limit, and a lease
-- extended by touch (lua/touch.lua) before this script runs is seen here: the expired jobs are read
-- from the active set inside this script, never from an earlier read.
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:ready
-- KEYS[3] <tag>:queues
-- KEYS[4] <tag>:totals
-- KEYS[5] <tag>:dead_index  (<tag>:dead_jobs is derived from it)
-- Each job's <tag>:queue:<qid>, <tag>:jobs:<qid> and <tag>:idle:<qid> are derived from KEYS[1], as are
-- <tag>:delayed_counts (read: delayed jobs keep a queue live) and <tag>:dead_jobs.
-- ARGV[1] batch size: the most expired jobs handled by this call
-- ARGV[2] dead-letter limit: discarded jobs kept (0 keeps none)
-- ARGV[3] idle TTL (ms): how long an idle queue's record is kept
--
-- Reply: {requeued, discarded, more} where more = 1 when the batch was full (call again).
-- Cost: O(b log n) for b = batch size, n = active jobs of the type.

-- @include common
-- @include lifecycle

local active_key, ready_key, queues_key, totals_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local batch, dead_limit, idle_ttl_ms = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tag = tag_of(active_key, ':active')
local now = now_us()

-- Latest expired first: a pass of several batches pushes its earliest expired jobs last, so they
-- lead their queues in expiry order whatever the batch boundaries (earliest first would reverse
-- the order between batches).
local expired = redis.call('ZREVRANGEBYSCORE', active_key, now, '-inf', 'LIMIT', 0, batch)
if #expired == 0 then
  return { 0, 0, 0 }
end

-- One ZREM per 1000 members (unpack stays well inside Lua's stack limit).
for i = 1, #expired, 1000 do
  redis.call('ZREM', active_key, unpack(expired, i, math.min(i + 999, #expired)))
end

-- Per queue, the job ids to put back, latest expired first.
local order, back, metas = {}, {}, {}
local requeued, discarded = 0, 0

for _, member in ipairs(expired) do
  local qid, jid = string.match(member, '^([^:]+):(.+)$')
  local m = metas[qid]
  if not m then
    m = read_meta(queues_key, qid)
    if m then
      metas[qid] = m
      order[#order + 1] = qid
      back[qid] = {}
    end
  end
  if m and m.active > 0 then m.active = m.active - 1 end

  local jobs_key = jobs_key_of(tag, qid)
  local raw = redis.call('HGET', jobs_key, jid)
  if raw and m then
    local job = parse_job(raw)
    if job.remaining == 0 then
      redis.call('HDEL', jobs_key, jid)
      if dead_limit > 0 then
        add_dead_letter(tag, qid, jid, job, m.interval, 'requeue_limit_reached', math.floor(now / 1000))
      end
      discarded = discarded + 1
    else
      if job.remaining > 0 then
        job.remaining = job.remaining - 1
        redis.call('HSET', jobs_key, jid, format_job(job))
      end
      local ids = back[qid]
      ids[#ids + 1] = jid
      requeued = requeued + 1
    end
  elseif raw then
    -- No meta means the queue was purged while this job ran: drop the orphan body.
    redis.call('HDEL', jobs_key, jid)
  end
end

for _, qid in ipairs(order) do
  local m, ids = metas[qid], back[qid]
  if #ids > 0 then
    -- LPUSH puts its last argument at the head: the earliest expired, pushed last, leads.
    local length = 0
    for i = 1, #ids, 1000 do
      length = redis.call('LPUSH', queue_key_of(tag, qid), unpack(ids, i, math.min(i + 999, #ids)))
    end
    if length == #ids then
      local ready_at = earliest_dequeue(m, now)
      redis.call('ZADD', ready_key, ready_at, qid)
      signal_ready(tag, ready_at)
    end
    write_meta(queues_key, qid, m)
  else
    save_or_forget(tag, queues_key, qid, m, now, idle_ttl_ms)
  end
end
if requeued > 0 then
  redis.call('HINCRBY', totals_key, 'queued', requeued)
end

if discarded > 0 and dead_limit > 0 then
  trim_dead_letters(tag, dead_limit, batch + 1000)
end
return { requeued, discarded, #expired == batch and 1 or 0 }
