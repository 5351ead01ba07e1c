-- fail: end an active job's lease at once because its handler failed, and in the same step either
-- retry it (while its requeue limit allows: the limit is spent exactly as by an expiry in
-- requeue.lua) or discard it into the dead letters with reason 'failed'. A retry waits retry_in_ms,
-- or else its back-off (backoff x 2^(n-1) for retry n, at most backoff_max), in the delayed set and
-- then goes to the FRONT of its queue; with no wait it is back at the front at once. The job's
-- record keeps the error and counts the retry (lua/include/common.lua, parse_job).
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:ready
-- KEYS[3] <tag>:queues
-- KEYS[4] <tag>:totals
-- KEYS[5] <tag>:dead_index   (<tag>:dead_jobs is derived from it)
-- KEYS[6] <tag>:queue:<qid>  (KEYS[6..8] are declared for the slot check; the script derives the
-- KEYS[7] <tag>:jobs:<qid>    same names from the tag)
-- KEYS[8] <tag>:idle:<qid>   (written when the queue goes idle)
-- <tag>:delayed and <tag>:delayed_counts are derived from KEYS[1] (same hash tag).
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
--   most MAX_TRIM older ones).

-- @include common
-- @include lifecycle

local active_key, ready_key, queues_key, totals_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local qid, jid = ARGV[1], ARGV[2]
local error_text, retry_in, hold_ms = ARGV[3], ARGV[4], tonumber(ARGV[5])
local dead_limit, idle_ttl_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
local MAX_TRIM = 100
local tag = tag_of(active_key, ':active')
local now = now_us()

if redis.call('ZREM', active_key, qid .. ':' .. jid) == 0 then return { 'none' } end
local jobs_key = jobs_key_of(tag, qid)
local raw = redis.call('HGET', jobs_key, jid)
local m = read_meta(queues_key, qid)
if not raw or not m then
  -- Purged while it ran (delete with purge_all): nothing is left to retry.
  if raw then redis.call('HDEL', jobs_key, jid) end
  return { 'none' }
end
if m.active > 0 then m.active = m.active - 1 end
local job = parse_job(raw)
if error_text ~= '' then job.error = error_text end
if hold_ms > 0 then hold_queue(ready_key, qid, m, now + hold_ms * 1000) end

if job.remaining == 0 then
  redis.call('HDEL', jobs_key, jid)
  if dead_limit > 0 then
    add_dead_letter(tag, qid, jid, job, m.interval, 'failed', math.floor(now / 1000))
    trim_dead_letters(tag, dead_limit, MAX_TRIM)
  end
  save_or_forget(tag, queues_key, qid, m, now, idle_ttl_ms)
  return { 'dead' }
end

if job.remaining > 0 then job.remaining = job.remaining - 1 end
job.retries = job.retries + 1
redis.call('HSET', jobs_key, jid, format_job(job))
local wait_ms = retry_in ~= '' and tonumber(retry_in) or backoff_ms(job, job.retries)
local due_us = now + wait_ms * 1000
if wait_ms > 0 then
  add_delayed(tag, qid, jid, due_us)
else
  if redis.call('LPUSH', queue_key_of(tag, qid), jid) == 1 then
    local ready_at = earliest_dequeue(m, now)
    redis.call('ZADD', ready_key, int_str(ready_at), qid)
    signal_ready(tag, ready_at)
  end
  redis.call('HINCRBY', totals_key, 'queued', '1')
end
write_meta(queues_key, qid, m)
return { 'retry', math.max(due_us, earliest_dequeue(m, now)) }
