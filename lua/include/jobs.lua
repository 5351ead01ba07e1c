-- Per-job steps shared by the single-job scripts and their batch forms (enqueue/enqueue_batch,
-- dequeue/dequeue_batch, finish/finish_batch), spliced in after common and lifecycle at
-- "-- @include jobs".
-- Every key is derived from the type's tag, so a batch stays in the type's cluster slot.

-- The type's queued total and the per-minute stats of a call. A single-job script passes no tally
-- and counts at once; a batch script passes one and writes it once at its end (write_tally), which
-- saves two Redis calls per job.
local function new_tally()
  return { queued = 0, per_queue = {}, queues = {} }
end

local function count_job(tally, totals_key, tag, now, what, qid, queued_delta)
  if not tally then
    redis.call('HINCRBY', totals_key, 'queued', int_str(queued_delta))
    count_in_stats(tag, now, what, qid)
    return
  end
  tally.queued = tally.queued + queued_delta
  local n = tally.per_queue[qid]
  if not n then tally.queues[#tally.queues + 1] = qid end
  tally.per_queue[qid] = (n or 0) + 1
end

local function write_tally(tally, totals_key, tag, now, what)
  if #tally.queues == 0 then return end
  redis.call('HINCRBY', totals_key, 'queued', int_str(tally.queued))
  local total = 0
  for _, qid in ipairs(tally.queues) do total = total + tally.per_queue[qid] end
  local key = count_type_in_stats(tag, now, what, total)
  for _, qid in ipairs(tally.queues) do redis.call('HINCRBY', key, what .. ':' .. qid, int_str(tally.per_queue[qid])) end
end

-- The queue's length, its delayed jobs included (what max queued length counts).
local function queue_length_of(tag, qid)
  return redis.call('LLEN', queue_key_of(tag, qid)) + delayed_in_queue(tag, qid)
end

-- A job's back-off as enqueue sends it: '' (none: retries go back at once) or "<backoff_ms>|<backoff_max_ms>".
local function backoff_of(arg)
  if arg == nil or arg == '' then return 0, 0 end
  local backoff, backoff_max = string.match(arg, '^(%d+)|(%d+)$')
  return tonumber(backoff), tonumber(backoff_max)
end

-- Sets a queue's max_active (0: no limit); raising it readies a queue it held back. Lowering it
-- takes effect at the queue's next pop (dequeue_job drops a blocked queue from the ready set).
local function set_max_active(tag, ready_key, qid, m, max_active, now)
  local was_full = queue_full(m)
  m.max_active = max_active
  unblock_if_freed(tag, ready_key, qid, m, was_full, now)
end

-- A job's trace context as enqueue sends it: '' or absent (none) or as the record keeps it (parse_job).
local function trace_of(arg)
  if arg == nil or arg == '' then return nil end
  return arg
end

-- Appends one job to its queue (or parks it until j.delay_ms has passed), creating the queue on
-- first use. j = {qid, jid, payload (JSON text), interval_ms, limit, max_len (nil: no limit), cost,
-- delay_ms, backoff, backoff_max, max_active (0: no limit), trace (nil: none; see parse_job)}. Returns 'queued' |
-- 'duplicate' | 'rejected' and the queue's length before the call,
-- its delayed jobs included (max queued length counts them).
-- Without a max length, HSETNX stores the body and finds a duplicate in one call, and the length
-- comes from RPUSH's answer; a queue whose meta is unchanged is not written again.
local function enqueue_job(tag, ready_key, queues_key, totals_key, j, now, tally)
  local queue_key, jobs_key = queue_key_of(tag, j.qid), jobs_key_of(tag, j.qid)
  local queue_length = nil
  if j.max_len then
    queue_length = queue_length_of(tag, j.qid)
    if queue_length >= j.max_len then
      if redis.call('HEXISTS', jobs_key, j.jid) == 1 then return 'duplicate', queue_length end
      return 'rejected', queue_length
    end
  end
  local record = format_job({ remaining = j.limit, limit = j.limit, cost = j.cost, backoff = j.backoff,
    backoff_max = j.backoff_max, trace = j.trace, payload = j.payload })
  if redis.call('HSETNX', jobs_key, j.jid, record) == 0 then
    return 'duplicate', queue_length or queue_length_of(tag, j.qid)
  end

  local m = read_meta(queues_key, j.qid)
  local meta_changed = true
  if not m then
    m = revive_meta(tag, j.qid, j.interval_ms)
  elseif not m.pinned and m.interval ~= j.interval_ms then
    apply_interval(ready_key, j.qid, m, j.interval_ms, now)
  else
    meta_changed = false
  end
  -- max_active comes with each enqueue like the interval (absent: no limit), unless pinned.
  if not m.max_pinned and m.max_active ~= j.max_active then
    set_max_active(tag, ready_key, j.qid, m, j.max_active, now)
    meta_changed = true
  end
  if meta_changed then write_meta(queues_key, j.qid, m) end

  if j.delay_ms > 0 then
    queue_length = queue_length or queue_length_of(tag, j.qid)
    -- The body is stored now (duplicates count it); promote_due queues it when due.
    add_delayed(tag, j.qid, j.jid, now + j.delay_ms * 1000)
    count_job(tally, totals_key, tag, now, 'enq', j.qid, 0)
    return 'queued', queue_length
  end
  local listed = redis.call('RPUSH', queue_key, j.jid) - 1
  queue_length = queue_length or listed + delayed_in_queue(tag, j.qid)
  if listed == 0 then make_ready(tag, ready_key, j.qid, m, now) end
  count_job(tally, totals_key, tag, now, 'enq', j.qid, 1)
  return 'queued', queue_length
end

-- Hands out the next job of the type from the queue that has been ready longest at `now`.
-- A job of cost c spends c intervals: its queue is next ready at now + c x interval.
-- budget.left bounds the inconsistent heads (a ready queue without a job, or one its own flow
-- control blocks) repaired and skipped. gated: whether the type has limits (open_gate), checked
-- before each job and charged for it; a job they do not let out stays where it was.
-- Returns {qid, jid, job, queue_length} or nil when no queue is ready (or the budget is spent, or the
-- gate refused: gate_refused says so only when a queue was ready).
-- The ready set's head is popped (ZPOPMIN) and goes back only while its queue keeps jobs and its
-- flow control allows, or as it was when it is not ready yet; then budget.ready_head_us keeps its score
-- (false: the set is empty), so next_ready_us need not read it again.
local function dequeue_job(tag, ready_key, active_key, queues_key, totals_key, now, expire_us, budget, tally, gated)
  while budget.left > 0 do
    if gated and not gate_allows(1, now) then
      -- Refused only when a queue was ready; otherwise the call simply finds nothing.
      local peek = redis.call('ZRANGE', ready_key, '0', '0', 'WITHSCORES')
      if not (peek[2] and tonumber(peek[2]) <= now) then
        gate_refused, gate_retry_us = false, false
        budget.ready_head_us = peek[2] and tonumber(peek[2]) or false
      end
      return nil
    end
    local head = redis.call('ZPOPMIN', ready_key)
    local qid = head[1]
    if not qid then
      budget.ready_head_us = false
      return nil
    end
    local score = head[2] + 0
    if score > now then
      redis.call('ZADD', ready_key, head[2], qid)
      budget.ready_head_us = score
      return nil
    end

    local m = read_meta(queues_key, qid) or
      { interval = 0, pinned = false, active = 0, last = 0, max_active = 0, max_pinned = false, paused = 0 }
    if queue_paused(m, now) or queue_full(m) then
      -- Its flow control blocks it (a limit lowered while it was ready): out of the ready set until
      -- what unblocks it puts it back; a timed pause puts it back at its end.
      if m.paused > now then redis.call('ZADD', ready_key, int_str(m.paused), qid) end
    else
      local queue_key = queue_key_of(tag, qid)
      local jid = redis.call('LPOP', queue_key)
      if jid then
        local raw = redis.call('HGET', jobs_key_of(tag, qid), jid)
        local job = raw and parse_job(raw)
        -- gate_allows(1) held before the pop: only a costlier job needs asking again.
        if job and gated and job.cost > 1 and not gate_allows(job.cost, now) then
          -- Out of tokens for this job's cost: it and its queue stay as they were.
          redis.call('LPUSH', queue_key, jid)
          redis.call('ZADD', ready_key, head[2], qid)
          return nil
        end
        local spent_us = m.interval * 1000 * (job and job.cost or 1)
        local queue_length = redis.call('LLEN', queue_key)
        if job then
          m.active = m.active + 1
          m.last = now + spent_us - m.interval * 1000
          write_meta(queues_key, qid, m)
          -- A queue at its max_active stays out of the ready set until a job of it ends.
          if queue_length > 0 and not queue_full(m) then
            redis.call('ZADD', ready_key, int_str(now + spent_us), qid)
          end
          redis.call('ZADD', active_key, int_str(now + expire_us), qid .. ':' .. jid)
          count_job(tally, totals_key, tag, now, 'deq', qid, -1)
          if gated then gate_take(job.cost) end
          return { qid = qid, jid = jid, job = job, queue_length = queue_length }
        end
        -- A job id without its body cannot be handed out; drop it and look again.
        if queue_length > 0 then redis.call('ZADD', ready_key, int_str(now + spent_us), qid) end
        redis.call('HINCRBY', totals_key, 'queued', -1)
        save_or_forget(tag, queues_key, qid, m, now, 0)
      end
    end
    budget.left = budget.left - 1
  end
  return nil
end

-- Acknowledges an active job and forgets it. Returns 1, or 0 when the job is not active. A queue
-- this frees from its max_active is ready again; the caller tells the type's limits (free_type_slot).
local function finish_job(tag, active_key, queues_key, qid, jid, now, idle_ttl_ms)
  if redis.call('ZREM', active_key, qid .. ':' .. jid) == 0 then
    return 0
  end
  redis.call('HDEL', jobs_key_of(tag, qid), jid)
  local m = read_meta(queues_key, qid)
  if m then
    local was_full = queue_full(m)
    if m.active > 0 then m.active = m.active - 1 end
    unblock_if_freed(tag, tag .. ':ready', qid, m, was_full, now)
    save_or_forget(tag, queues_key, qid, m, now, idle_ttl_ms)
  end
  return 1
end

-- Hands out up to `count` jobs as dequeue_job would, all at `now`, appending 7 fields per job to
-- `reply` (queue_id, job_id, payload, requeues_remaining, queue_length_after, attempt, trace ('' for
-- none)), within the type's limits. Returns next_ready_ms, refused and the number of jobs handed out.
-- next_ready_ms: when fewer than count came out, ms from now until the type's next queue is ready
-- (0: now), or -1 when the type has no queued job; 0 when count jobs came out. refused: '' or the
-- type's limit that stopped the call (gate_allows); then next_ready_ms is when it lifts, -1 when a
-- resume or a freed slot will tell.
local function dequeue_jobs(tag, ready_key, active_key, queues_key, totals_key, now, expire_us, count, reply)
  local budget = { left = 3 }
  local handed = 0
  local tally = new_tally()
  local gated = open_gate(tag, active_key, now)
  while handed < count do
    local out = dequeue_job(tag, ready_key, active_key, queues_key, totals_key, now, expire_us, budget, tally, gated)
    if not out then break end
    handed = handed + 1
    reply[#reply + 1] = out.qid
    reply[#reply + 1] = out.jid
    reply[#reply + 1] = out.job.payload
    reply[#reply + 1] = out.job.remaining
    reply[#reply + 1] = out.queue_length
    reply[#reply + 1] = out.job.retries + 1
    reply[#reply + 1] = out.job.trace or ''
  end
  write_tally(tally, totals_key, tag, now, 'deq')
  close_gate(tag)
  if gate_refused then
    return gate_retry_us and math.max(0, math.ceil((gate_retry_us - now) / 1000)) or -1, gate_refused, handed
  end
  if handed < count and budget.left > 0 then
    local next_us = next_ready_us(tag, ready_key, budget.ready_head_us)
    return next_us and math.max(0, math.ceil((next_us - now) / 1000)) or -1, '', handed
  end
  return 0, '', handed
end
