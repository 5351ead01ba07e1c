-- Shared pieces of every SharQ script, spliced in by the loader (src/engine/scripts.ts) at "-- @include common".
--
-- Key layout (mirrors src/engine/keys.ts; test/engine/keys.test.ts checks they agree). Everything of one
-- queue type shares the hash tag {type}, so a script touching several of them stays in one
-- Redis Cluster slot. <tag> = <key_prefix>:{<queue_type>}
--   <tag>:ready          ZSET  queue_id -> earliest dequeue time (us); holds exactly the queues with queued jobs
--   <tag>:active         ZSET  "<queue_id>:<job_id>" -> expiry time (us) of a dequeued, unfinished job
--   <tag>:queues         HASH  queue_id -> "interval_ms|pinned|active_count|last_dequeue_us", and for a queue with
--                              flow control (SPEC 5.14) "...|max_active|max_pinned|paused" (see parse_meta); queues
--                              with queued, active or delayed jobs, and paused queues
--   <tag>:limits         HASH  the type's state read once per call: its flow control (paused, spec
--                              "<max_active>|<rate_per_s>|<burst>", tat: lua/include/flow.lua) and next_due, the
--                              earliest due time of its delayed jobs (read_type_state in lua/include/lifecycle.lua)
--   <tag>:paused         ZSET  queue_id -> end of its pause (us; +inf until resumed), for counting and listing
--                              paused queues (the meta's paused field is what dequeue obeys)
--   <tag>:totals         HASH  queued -> number of queued jobs of the type
--   <tag>:dead           LIST  discarded jobs (JSON) of earlier versions; migrated into dead_index/dead_jobs
--   <tag>:dead_index     ZSET  "<queue_id>:<job_id>" -> discard sequence (totals field dead_seq), newest highest
--   <tag>:dead_jobs      HASH  "<queue_id>:<job_id>" -> dead-letter entry (see lua/include/lifecycle.lua)
--   <tag>:delayed        ZSET  "<queue_id>:<job_id>" -> due time (us) of a delayed job (body in <tag>:jobs:<qid>)
--   <tag>:delayed_counts HASH  queue_id -> number of delayed jobs of the queue
--   <tag>:queue:<qid>    LIST  queued job ids, FIFO (head = next out)
--   <tag>:jobs:<qid>     HASH  job_id -> job record (see parse_job) for queued and active jobs
--   <tag>:idle:<qid>     STRING meta of a queue that went idle (same format as in <tag>:queues), kept for the
--                              idle TTL and at least until its interval has passed since the last dequeue
--   <tag>:migrating:<qid> STRING journal of an unfinished two-phase migration step (lua/migrate_write.lua)
--   <tag>:stats:<min_ms> HASH  enq, deq, enq:<qid>, deq:<qid> -> counts in that minute; expires after 11 minutes
--   <tag>:wake           pub/sub channel (sharded on Redis 7): "<delay_ms>" when a queue of the type becomes
--                              ready (now, or after delay_ms); long-polling servers listen to it
--
-- The meta's last_dequeue_us is the rate-limit anchor: the queue's next dequeue is not before it + interval.
-- After a job of cost c it is the dequeue time + (c - 1) intervals, so the next one waits c intervals.

-- Redis < 5 needs effects replication to allow TIME before writes; later versions always do it, and
-- Redis 7 (the first with REDIS_VERSION_NUM) is spared the call on every script run.
if not redis.REDIS_VERSION_NUM then redis.replicate_commands() end

local STATS_TTL_MS = 11 * 60 * 1000

-- Read once per script call: every later use (signal_ready's delay) takes the same instant.
local script_now_us = nil
local function now_us()
  if not script_now_us then
    local t = redis.call('TIME')
    script_now_us = t[1] * 1000000 + t[2]
  end
  return script_now_us
end

-- tostring() would print large numbers as 1.7e+15; keep every digit. Whole numbers go through '%d'
-- (an integer conversion), a fraction of the cost of '%.0f' (glibc's multi-precision float printing).
-- Redis prints a number argument of redis.call with '%.17g', so hot calls pass int_str(n) instead.
-- -1 and 0-9 (counts, deltas, costs, requeue limits) are looked up: a table read instead of string.char's
-- library call, and no string.format. (A literal: a script run by EVAL builds its prelude on every call.)
local SMALL_INT_STR = { [-1] = '-1', [0] = '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' }
local function int_str(n)
  local small = SMALL_INT_STR[n]
  if small then return small end
  if n % 1 == 0 and n > -9007199254740992 and n < 9007199254740992 then return string.format('%d', n) end
  return string.format('%.0f', n)
end

local function tag_of(key, suffix)
  return string.sub(key, 1, #key - #suffix)
end

local function queue_key_of(tag, qid) return tag .. ':queue:' .. qid end
local function jobs_key_of(tag, qid) return tag .. ':jobs:' .. qid end
local function idle_key_of(tag, qid) return tag .. ':idle:' .. qid end

-- A queue's meta. The flow-control fields (SPEC 5.14) are written only for a queue that has one, so
-- most metas keep the short form: max_active (0: no limit), max_pinned (set by the limits API, so
-- enqueues do not change it), paused (0: not paused; PAUSED_UNTIL_RESUMED; else the end of the pause, us).
local PAUSED_UNTIL_RESUMED = -1

-- Numbers are read with `+ 0` (Lua's own coercion) rather than tonumber(): no library call, half the
-- cost per number (callgrind); the patterns guarantee digits. The short form's match ends in a position
-- capture, so the short form makes no string for a tail it does not have.
-- The long form's tail changes only when a limit or a pause does, so its parse is memoized by its text
-- for the library's life (META_TAIL_MEMO, at most META_TAIL_MEMO_MAX texts: it starts afresh when full),
-- and the meta keeps it (m.tail) so format_meta writes it back as it was when none of the three changed
-- (callgrind: 3.9k instructions less per dequeue of a queue with a max_active).
local META_TAIL_MEMO = { size = 0, of = {} }
local META_TAIL_MEMO_MAX = 256

local function parse_meta_tail(text)
  local tail = META_TAIL_MEMO.of[text]
  if tail then return tail end
  local max_active, max_pinned, paused = string.match(text, '^|(%d+)|(%d)|(%-?%d+)$')
  tail = { max_active = max_active + 0, max_pinned = max_pinned == '1', paused = paused + 0, text = text }
  if META_TAIL_MEMO.size >= META_TAIL_MEMO_MAX then META_TAIL_MEMO.of, META_TAIL_MEMO.size = {}, 0 end
  META_TAIL_MEMO.of[text], META_TAIL_MEMO.size = tail, META_TAIL_MEMO.size + 1
  return tail
end

local function parse_meta(raw)
  local interval, pinned, active, last, at = string.match(raw, '^(%d+)|(%d)|(%d+)|(%d+)()')
  if at > #raw then
    return { interval = interval + 0, pinned = pinned == '1', active = active + 0, last = last + 0,
      max_active = 0, max_pinned = false, paused = 0, tail = false }
  end
  local tail = parse_meta_tail(string.sub(raw, at))
  return { interval = interval + 0, pinned = pinned == '1', active = active + 0, last = last + 0,
    max_active = tail.max_active, max_pinned = tail.max_pinned, paused = tail.paused, tail = tail }
end

-- One format per form and pinned flags, so a meta is written with one string.format and no '%s': each
-- conversion is a sprintf of its own, and each format call a fixed cost (callgrind: 5k instructions less
-- per dequeue of a queue with a max_active than a second format for the tail, 1.7k less for any queue).
local META_SHORT = { [false] = '%d|0|%d|%d', [true] = '%d|1|%d|%d' }
local META_LONG_UNPINNED = { [false] = '%d|0|%d|%d|%d|0|%d', [true] = '%d|0|%d|%d|%d|1|%d' }
local META_LONG_PINNED = { [false] = '%d|1|%d|%d|%d|0|%d', [true] = '%d|1|%d|%d|%d|1|%d' }

local function format_meta(m)
  local max_active, paused, max_pinned = m.max_active or 0, m.paused or 0, m.max_pinned == true
  local short = max_active == 0 and paused == 0 and not max_pinned
  -- '%d' holds up to 2^63; a last dequeue pushed past 2^53 us (a huge interval x cost) goes through int_str.
  if m.last >= 9007199254740992 then
    local head = int_str(m.interval) .. '|' .. (m.pinned and '1' or '0') .. '|' .. int_str(m.active) .. '|' ..
      int_str(m.last)
    if short then return head end
    return head .. '|' .. int_str(max_active) .. '|' .. (max_pinned and '1' or '0') .. '|' .. int_str(paused)
  end
  if short then return string.format(META_SHORT[m.pinned == true], m.interval, m.active, m.last) end
  local tail = m.tail
  if tail and tail.max_active == max_active and tail.paused == paused and tail.max_pinned == max_pinned then
    return string.format(META_SHORT[m.pinned == true], m.interval, m.active, m.last) .. tail.text
  end
  return string.format((m.pinned and META_LONG_PINNED or META_LONG_UNPINNED)[max_pinned], m.interval, m.active, m.last,
    max_active, paused)
end

local function read_meta(queues_key, qid)
  local raw = redis.call('HGET', queues_key, qid)
  if not raw then return nil end
  return parse_meta(raw)
end

local function write_meta(queues_key, qid, m)
  redis.call('HSET', queues_key, qid, format_meta(m))
end

-- True while the queue may not hand out a job because of its own flow control: paused, or as many
-- of its jobs active as its max_active allows. Such a queue is kept out of the ready set.
local function queue_paused(m, now)
  return m.paused == PAUSED_UNTIL_RESUMED or m.paused > now
end

local function queue_full(m)
  return m.max_active > 0 and m.active >= m.max_active
end

-- Earliest time the queue may hand out its next job: never before last dequeue + interval, nor before
-- the end of a timed pause. nil while it is paused until resumed or at its max_active: it is not ready
-- at any known time, and what unblocks it (resume, a finished job) puts it back.
local function earliest_dequeue(m, now)
  if m.paused == PAUSED_UNTIL_RESUMED or queue_full(m) then return nil end
  local at = now
  if m.last > 0 then
    local next_us = m.last + m.interval * 1000
    if next_us > at then at = next_us end
  end
  if m.paused > at then at = m.paused end
  return at
end

-- Meta of a queue that becomes live: an idle record brings back its last dequeue (the rate limit)
-- and an interval pinned while it was idle; otherwise the enqueue's interval applies.
local function revive_meta(tag, qid, interval_ms)
  local key = idle_key_of(tag, qid)
  -- GETDEL (Redis 6.2+) reads and removes the record in one call; older servers take GET and DEL.
  local raw = redis.pcall('GETDEL', key)
  if type(raw) == 'table' and raw.err then
    raw = redis.call('GET', key)
    if raw then redis.call('DEL', key) end
  end
  if not raw then
    return { interval = interval_ms, pinned = false, active = 0, last = 0, max_active = 0, max_pinned = false, paused = 0 }
  end
  local m = parse_meta(raw)
  m.active = 0
  if not m.pinned then m.interval = interval_ms end
  return m
end

-- Moves a queue's meta out of the live hash into an expiring idle record (this releases a pin).
-- The record lives idle_ttl_ms, and always until the interval since the last dequeue has passed,
-- so a refill can never break the rate limit.
local function forget_queue(tag, queues_key, qid, m, now, idle_ttl_ms)
  redis.call('HDEL', queues_key, qid)
  local ttl_ms = idle_ttl_ms
  if m.last > 0 then
    ttl_ms = math.max(ttl_ms, math.ceil((m.last + m.interval * 1000 - now) / 1000))
  end
  if ttl_ms > 0 then
    redis.call('SET', idle_key_of(tag, qid), format_meta({ interval = m.interval, pinned = false, active = 0, last = m.last }),
      'PX', ttl_ms)
  end
end

-- True once this script call has seen the type's delayed set empty (promote_due peeks at it), so
-- no queue of the type has a delayed job; add_delayed clears it.
local type_has_no_delayed = false

-- Delayed jobs of a queue (they keep it live: its interval must still be known when they come due).
local function delayed_in_queue(tag, qid)
  if type_has_no_delayed then return 0 end
  return tonumber(redis.call('HGET', tag .. ':delayed_counts', qid) or '0')
end

-- A queue with no queued, no active and no delayed job goes idle (unless paused); otherwise its meta is saved.
-- A paused queue stays live however empty: its pause must outlast any idle TTL.
local function save_or_forget(tag, queues_key, qid, m, now, idle_ttl_ms)
  if m.active > 0 or queue_paused(m, now) or redis.call('LLEN', queue_key_of(tag, qid)) > 0 or
    delayed_in_queue(tag, qid) > 0 then
    write_meta(queues_key, qid, m)
  else
    forget_queue(tag, queues_key, qid, m, now, idle_ttl_ms)
  end
end

-- Tells long-polling servers that a queue of the type becomes ready at ready_at_us (Redis time).
-- The message is the delay from now in ms, so receivers need no clock shared with Redis. One
-- message per script call: later calls within it only publish an earlier time.
local signalled_delay_ms = nil
local function signal_ready(tag, ready_at_us)
  if signalled_delay_ms == 0 then return end
  local delay_ms = math.max(0, math.ceil((ready_at_us - now_us()) / 1000))
  if signalled_delay_ms and signalled_delay_ms <= delay_ms then return end
  signalled_delay_ms = delay_ms
  local channel, message = tag .. ':wake', int_str(delay_ms)
  -- Sharded pub/sub keeps the message on the type's slot (Redis 7); older servers only have PUBLISH.
  local sent = redis.pcall('SPUBLISH', channel, message)
  if type(sent) == 'table' and sent.err then redis.call('PUBLISH', channel, message) end
end

-- Puts a queue whose list has jobs into the ready set at its earliest dequeue time, unless its flow
-- control blocks it, and tells waiting requests. only_if_absent keeps a score already there (a queue
-- unblocked while it may already be ready keeps its place).
local function make_ready(tag, ready_key, qid, m, now, only_if_absent)
  local ready_at = earliest_dequeue(m, now)
  if not ready_at then return end
  if only_if_absent then
    if redis.call('ZADD', ready_key, 'NX', int_str(ready_at), qid) == 0 then return end
  else
    redis.call('ZADD', ready_key, int_str(ready_at), qid)
  end
  signal_ready(tag, ready_at)
end

-- A queue that was at its max_active and no longer is (a job finished, failed or expired, or the
-- limit was raised) is ready again if it has queued jobs.
local function unblock_if_freed(tag, ready_key, qid, m, was_full, now)
  if was_full and not queue_full(m) and redis.call('LLEN', queue_key_of(tag, qid)) > 0 then
    make_ready(tag, ready_key, qid, m, now, true)
  end
end

-- Places a live queue in the ready set as its meta now says (after a pause, a resume, a new interval
-- or max_active): out of it while blocked, else at its earliest dequeue time counted from its current
-- score when that is earlier than now, so a queue ready for a while keeps its place.
local function reschedule(tag, ready_key, qid, m, now)
  local score = redis.call('ZSCORE', ready_key, qid)
  local floor = now
  if score and tonumber(score) < now then floor = tonumber(score) end
  local ready_at = earliest_dequeue(m, floor)
  if not ready_at then
    if score then redis.call('ZREM', ready_key, qid) end
    return
  end
  if not score and redis.call('LLEN', queue_key_of(tag, qid)) == 0 then return end
  if score and tonumber(score) == ready_at then return end
  redis.call('ZADD', ready_key, int_str(ready_at), qid)
  if not score or ready_at < tonumber(score) then signal_ready(tag, ready_at) end
end

-- A new interval takes effect at once: a queue waiting for its rate limit is rescheduled from its
-- last dequeue; a queue already ready keeps its place unless the longer interval pushes it back.
local function apply_interval(ready_key, qid, m, interval_ms, now)
  m.interval = interval_ms
  if m.last == 0 then return end
  local score = redis.call('ZSCORE', ready_key, qid)
  if not score then return end
  score = tonumber(score)
  local floor = score <= now and score or now
  local ready_at = earliest_dequeue(m, floor)
  if not ready_at then return end
  redis.call('ZADD', ready_key, int_str(ready_at), qid)
  if ready_at < score then signal_ready(tag_of(ready_key, ':ready'), ready_at) end
end

-- Adds n to the type's count of `what` in the minute of `now`; returns that minute's stats key.
local function count_type_in_stats(tag, now, what, n)
  local minute_ms = math.floor(now / 60000000) * 60000
  local key = tag .. ':stats:' .. int_str(minute_ms)
  if redis.call('HINCRBY', key, what, int_str(n)) == n then
    redis.call('PEXPIREAT', key, int_str(minute_ms + STATS_TTL_MS))
  end
  return key
end

local function count_in_stats(tag, now, what, qid)
  local key = count_type_in_stats(tag, now, what, 1)
  redis.call('HINCRBY', key, what .. ':' .. qid, '1')
end

-- A job record (the value in <tag>:jobs:<qid>), in one of three forms:
--   "~<remaining>|<limit>|<cost>|<retries>|<backoff_ms>|<backoff_max_ms>|<error_len>|<error><payload JSON>"
--     once the job has a back-off, a retry or an error (error_len bytes of error text, 0 for none; the
--     leading '~' tells this form from the others with one byte, so most jobs pay no second match);
--   "<requeues_remaining>|<requeue_limit>|<cost>|<payload JSON>" otherwise (the form most jobs keep:
--     nothing is spent on what a job does not use);
--   "<requeues_remaining>|<payload JSON>" as written before requeue_limit and cost were kept.
-- A JSON payload never starts with digits and a '|', so the other two cannot be confused. retries counts
-- the times the job went back after a delivery (a fail or an expiry), so its deliveries so far are
-- retries while it waits and retries + 1 while it is active (src/engine/job-record.ts reads the same).
-- A job enqueued with a W3C trace context (SPEC 5.16) has it in front of one of the forms above:
--   "@<trace_len>|<trace><record>"
--     trace: "<traceparent>" or "<traceparent> <tracestate>" (trace_len bytes), as enqueue got it;
--     every rewrite of the record (fail, requeue, dead letter, replay) keeps it. Jobs without one keep
--     the forms above byte for byte, and pay one byte compare to tell.
local LONG_RECORD = 126 -- '~'
local TRACED_RECORD = 64 -- '@'

-- The trace context of a record (nil for none) and the record without it.
local function split_trace(raw)
  if string.byte(raw, 1) ~= TRACED_RECORD then return nil, raw end
  local trace_len, at = string.match(raw, '^@(%d+)|()')
  local trace_end = at + tonumber(trace_len) - 1
  return string.sub(raw, at, trace_end), string.sub(raw, trace_end + 1)
end

local function parse_untraced_job(raw)
  if string.byte(raw, 1) == LONG_RECORD then
    local remaining, limit, cost, retries, backoff, backoff_max, error_len, at =
      string.match(raw, '^~(%-?%d+)|(%-?%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|()')
    local error_end = at + error_len - 1
    return { remaining = remaining + 0, limit = limit + 0, cost = cost + 0, retries = retries + 0,
      backoff = backoff + 0, backoff_max = backoff_max + 0,
      error = error_end >= at and string.sub(raw, at, error_end) or nil, payload = string.sub(raw, error_end + 1) }
  end
  local remaining, limit, cost, payload = string.match(raw, '^(%-?%d+)|(%-?%d+)|(%d+)|(.*)$')
  if remaining then
    return { remaining = remaining + 0, limit = limit + 0, cost = cost + 0, retries = 0, backoff = 0,
      backoff_max = 0, payload = payload }
  end
  local sep = string.find(raw, '|', 1, true)
  local old_remaining = tonumber(string.sub(raw, 1, sep - 1))
  return { remaining = old_remaining, limit = old_remaining, cost = 1, retries = 0, backoff = 0, backoff_max = 0,
    payload = string.sub(raw, sep + 1) }
end

local function parse_job(raw)
  if string.byte(raw, 1) ~= TRACED_RECORD then return parse_untraced_job(raw) end
  local trace, record = split_trace(raw)
  local job = parse_untraced_job(record)
  job.trace = trace
  return job
end

-- retries, backoff and backoff_max may be left out (0), error (none) and trace (none).
local function format_job(job)
  local head = int_str(job.remaining) .. '|' .. int_str(job.limit) .. '|' .. int_str(job.cost) .. '|'
  local retries, backoff = job.retries or 0, job.backoff or 0
  local record
  if retries == 0 and backoff == 0 and not job.error then
    record = head .. job.payload
  else
    local err = job.error or ''
    record = '~' .. head .. int_str(retries) .. '|' .. int_str(backoff) .. '|' .. int_str(job.backoff_max or 0) .. '|' ..
      int_str(#err) .. '|' .. err .. job.payload
  end
  if not job.trace then return record end
  return '@' .. int_str(#job.trace) .. '|' .. job.trace .. record
end

-- How long retry n (1 for the first) of the job waits, in ms: backoff x 2^(n-1), at most backoff_max.
local function backoff_ms(job, n)
  if job.backoff == 0 then return 0 end
  if n > 60 then return job.backoff_max end
  return math.min(job.backoff * 2 ^ (n - 1), job.backoff_max)
end
