-- The fail of an active job (lua/fail.lua, fail_next.lua), spliced in after common and lifecycle at
-- "-- @include fail". Every key is derived from the type's tag, so a script stays in its slot.

-- Ends the lease of the active job qid:jid and, in the same step, retries it (while its requeue limit
-- allows: spent exactly as by an expiry in requeue.lua) or discards it into the dead letters with
-- reason 'failed'. A retry waits retry_in ('' for the job's back-off: backoff x 2^(n-1) for retry n,
-- at most backoff_max) in the delayed set and then goes to the FRONT of its queue; with no wait it is
-- back at the front at once. hold_ms > 0 pauses the queue that long (lua/include/flow.lua). A queue it
-- frees from its max_active is ready again; the caller tells the type's limits (free_type_slot). The record keeps error_text
-- ('' keeps the earlier one) and counts the retry.
-- Returns 'none' (not active), 'dead', or 'retry' and the time (us) it is due again.
local FAIL_MAX_TRIM = 100
local function fail_job(tag, k, qid, jid, error_text, retry_in, hold_ms, dead_limit, idle_ttl_ms, now)
  if redis.call('ZREM', k.active, qid .. ':' .. jid) == 0 then return 'none' end
  local jobs_key = jobs_key_of(tag, qid)
  local raw = redis.call('HGET', jobs_key, jid)
  local m = read_meta(k.queues, qid)
  if not raw or not m then
    -- Purged while it ran (delete with purge_all): nothing is left to retry.
    if raw then redis.call('HDEL', jobs_key, jid) end
    return 'none'
  end
  local was_full = queue_full(m)
  if m.active > 0 then m.active = m.active - 1 end
  local job = parse_job(raw)
  if error_text ~= '' then job.error = error_text end
  -- A hold is a timed pause of the queue (it never shortens a longer one).
  if hold_ms > 0 then pause_queue(tag, k.ready, qid, m, now + hold_ms * 1000, now, true) end

  if job.remaining == 0 then
    redis.call('HDEL', jobs_key, jid)
    if dead_limit > 0 then
      add_dead_letter(tag, qid, jid, job, m.interval, 'failed', math.floor(now / 1000))
      trim_dead_letters(tag, dead_limit, FAIL_MAX_TRIM)
    end
    unblock_if_freed(tag, k.ready, qid, m, was_full, now)
    save_or_forget(tag, k.queues, qid, m, now, idle_ttl_ms)
    return 'dead'
  end

  if job.remaining > 0 then job.remaining = job.remaining - 1 end
  job.retries = job.retries + 1
  redis.call('HSET', jobs_key, jid, format_job(job))
  local wait_ms = retry_in ~= '' and tonumber(retry_in) or backoff_ms(job, job.retries)
  local due_us = now + wait_ms * 1000
  if wait_ms > 0 then
    add_delayed(tag, qid, jid, due_us)
    unblock_if_freed(tag, k.ready, qid, m, was_full, now)
  else
    if redis.call('LPUSH', queue_key_of(tag, qid), jid) == 1 then
      make_ready(tag, k.ready, qid, m, now)
    else
      unblock_if_freed(tag, k.ready, qid, m, was_full, now)
    end
    redis.call('HINCRBY', k.totals, 'queued', '1')
  end
  write_meta(k.queues, qid, m)
  -- Due again when both its wait and its queue allow (a queue blocked by its flow control: its wait).
  return 'retry', math.max(due_us, earliest_dequeue(m, now) or due_us)
end
