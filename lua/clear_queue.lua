-- clear_queue: one bounded step of deleting a queue. Queued jobs go first; with purge_all the
-- queue's active and delayed jobs and its meta (interval, pin) go too, except a pause. The caller repeats until done = 1.
-- Without purge_all, delayed jobs stay (and keep the queue live) until they come due.
-- A purged queue keeps only the part of its idle record that the rate limit needs.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:active
-- KEYS[3] <tag>:queues
-- KEYS[4] <tag>:totals
-- KEYS[5] <tag>:queue:<qid>
-- KEYS[6] <tag>:jobs:<qid>
-- KEYS[7] <tag>:idle:<qid>    (written when the queue goes idle)
-- <tag>:delayed and <tag>:delayed_counts are derived from KEYS[1] (same hash tag).
-- ARGV[1] queue_id
-- ARGV[2] batch size: the most jobs removed by this call
-- ARGV[3] '1' to purge active jobs and meta as well, '0' otherwise
-- ARGV[4] HSCAN cursor over the job hash for the purge step ('0' to start)
-- ARGV[5] idle TTL (ms): how long an idle queue's record is kept
--
-- Reply: {queued_removed, active_removed, done, next_cursor}  (active_removed counts delayed jobs too)
-- Cost: O(b log n) for b = batch size.

-- @include common
-- @include lifecycle
-- @include flow

local ready_key, active_key, queues_key, totals_key, queue_key, jobs_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local qid, batch, purge_all = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'
local tag = tag_of(ready_key, ':ready')

local queued_removed, active_removed, delayed_removed = 0, 0, 0
local ids = redis.call('LPOP', queue_key, batch)
if ids then
  for _, jid in ipairs(ids) do
    redis.call('HDEL', jobs_key, jid)
  end
  queued_removed = #ids
  redis.call('HINCRBY', totals_key, 'queued', -queued_removed)
end
if redis.call('LLEN', queue_key) > 0 then
  return { queued_removed, 0, 0, '0' }
end
redis.call('ZREM', ready_key, qid)

local m = read_meta(queues_key, qid)
if not purge_all then
  if m then save_or_forget(tag, queues_key, qid, m, now_us(), tonumber(ARGV[5])) end
  return { queued_removed, 0, 1, '0' }
end

-- With the queue list empty, whatever is left in the job hash is delayed or active: remove it everywhere.
local scan = redis.call('HSCAN', jobs_key, ARGV[4], 'COUNT', batch)
local left = scan[2]
for i = 1, #left, 2 do
  local member = qid .. ':' .. left[i]
  if redis.call('ZREM', delayed_key_of(tag), member) == 1 then
    add_delayed_count(tag, qid, -1)
    delayed_removed = delayed_removed + 1
  else
    redis.call('ZREM', active_key, member)
  end
  redis.call('HDEL', jobs_key, left[i])
  active_removed = active_removed + 1
end
if scan[1] ~= '0' or redis.call('HLEN', jobs_key) > 0 then
  -- Keep the meta's active count true, so a purge abandoned after this step still leaves a queue
  -- that goes idle once its remaining active jobs are finished.
  if m then
    m.active = math.max(0, m.active - (active_removed - delayed_removed))
    write_meta(queues_key, qid, m)
  end
  return { queued_removed, active_removed, 0, scan[1] }
end
if m then
  -- A paused queue stays paused (save_or_forget keeps it): an operator's pause outlives a purge.
  m.active = 0
  save_or_forget(tag, queues_key, qid, m, now_us(), 0)
end
return { queued_removed, active_removed, 1, '0' }
