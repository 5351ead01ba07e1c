-- requeue: one bounded batch of the requeue pass. Jobs whose expiry has passed leave the active
-- set; each goes back to the front of its queue while it has requeues left (after its back-off in
-- the delayed set when it has one: retry n waits backoff x 2^(n-1), at most backoff_max), otherwise
-- it is discarded into the type's dead letters. Every retry is counted in the job's record. The decision and the move happen in this one
-- script, so overlapping passes can never requeue a job twice or past its limit, and a lease
-- extended by touch (lua/touch.lua) before this script runs is seen here: the expired jobs are read
-- from the active set inside this script, never from an earlier read. Several calls of one type may
-- be in flight at once (the pass pipelines them): each takes the latest expired jobs still there.
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:ready
-- KEYS[3] <tag>:queues
-- KEYS[4] <tag>:totals
-- KEYS[5] <tag>:dead_index  (<tag>:dead_jobs is derived from it)
-- Each job's <tag>:queue:<qid>, <tag>:jobs:<qid> and <tag>:idle:<qid> are derived from KEYS[1], as are
-- <tag>:delayed and <tag>:delayed_counts (a retry with a back-off waits there; delayed jobs keep a
-- queue live), <tag>:dead_jobs and <tag>:limits (a freed slot of the type's max_active wakes waiters).
-- ARGV[1] batch size: the most expired jobs handled by this call
-- ARGV[2] dead-letter limit: discarded jobs kept (0 keeps none)
-- ARGV[3] idle TTL (ms): how long an idle queue's record is kept
--
-- Reply: {requeued, discarded, more, took_us} where more = 1 when the batch was full (call again)
--   and took_us is the Redis time the call took (the pass sizes its batches by it).
-- Cost: O(b log n) for b = batch size, n = active jobs of the type; about two commands per queue
--   of the batch plus a few per call (and per discarded job, its dead letter).

-- @include common
-- @include lifecycle
-- @include flow

local active_key, ready_key, queues_key, totals_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local batch, dead_limit, idle_ttl_ms = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tag = tag_of(active_key, ':active')
local now = now_us()
-- now_us() is the script's one moment (read once); the call's own duration needs a second reading.
local function took_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2]) - now
end
-- Members per multi-key command: unpack stays well inside Lua's stack limit.
local CHUNK = 1000

-- The multi-member commands of this script, each as send(key, items, first, last): made once per
-- call and handed to chunked(). A closure made per chunked() call cost a storm in which every job has
-- a queue of its own 12% more instructions per job (callgrind, bench/script-cost.ts --requeue).
local function zrem(key, items, i, j) return redis.call('ZREM', key, unpack(items, i, j)) end
local function hmget(key, items, i, j) return redis.call('HMGET', key, unpack(items, i, j)) end
local function hdel(key, items, i, j) return redis.call('HDEL', key, unpack(items, i, j)) end
local function hset(key, items, i, j) return redis.call('HSET', key, unpack(items, i, j)) end
local function lpush(key, items, i, j) return redis.call('LPUSH', key, unpack(items, i, j)) end
local function zadd(key, items, i, j) return redis.call('ZADD', key, unpack(items, i, j)) end

-- send(key, items, first, last) over all items in runs of at most `step` items (unpack stays inside
-- Lua's stack limit); returns every table reply's elements in order (HMGET) and the last reply
-- (LPUSH's final length). Nothing is sent for no items.
local function chunked(send, key, items, step)
  local n = #items
  if n == 0 then return {}, nil end
  if n <= step then
    local reply = send(key, items, 1, n)
    return type(reply) == 'table' and reply or {}, reply
  end
  local replies, last = {}, nil
  for i = 1, n, step do
    last = send(key, items, i, math.min(i + step - 1, n))
    if type(last) == 'table' then
      for _, value in ipairs(last) do replies[#replies + 1] = value end
    end
  end
  return replies, last
end

-- Latest expired first: a pass of several batches pushes its earliest expired jobs last, so they
-- lead their queues in expiry order whatever the batch boundaries (earliest first would reverse
-- the order between batches).
local expired = redis.call('ZREVRANGEBYSCORE', active_key, now, '-inf', 'LIMIT', 0, batch)
if #expired == 0 then
  return { 0, 0, 0, took_us() }
end
chunked(zrem, active_key, expired, CHUNK)

-- Calls per queue rather than per job: a storm over many queues costs a few commands per job, and
-- one over few queues a few per queue. `order` keeps the queues in first-seen order, `ids` each
-- queue's job ids latest expired first: the id itself while a queue has one (a storm into many queues
-- makes no table per queue), a list from its second.
local order, ids = {}, {}
for i = 1, #expired do
  local qid, jid = string.match(expired[i], '^([^:]+):(.+)$')
  local list = ids[qid]
  if not list then
    ids[qid] = jid
    order[#order + 1] = qid
  elseif type(list) == 'string' then
    ids[qid] = { list, jid }
  else
    list[#list + 1] = jid
  end
end

-- Every queue's meta in HMGET calls of CHUNK fields, in the order of `order` (parsed as each queue comes).
local meta_raws = chunked(hmget, queues_key, order, CHUNK)

-- requeued counts every job sent back (queued_back: those at the front of their queues now; the
-- rest wait out a back-off in the delayed set).
local requeued, discarded, queued_back = 0, 0, 0
local meta_fields, ready_pairs = {}, {}
local earliest_ready = nil
-- Per-queue lists, made once and emptied after each queue (a table per queue costs a storm into
-- many queues its allocation and its collection).
local one, one_raw, back, counted, dropped = {}, {}, {}, {}, {}
local function empty(list)
  for i = #list, 1, -1 do list[i] = nil end
end
for q = 1, #order do
  local qid, meta_raw = order[q], meta_raws[q]
  local m, jids = meta_raw and parse_meta(meta_raw), ids[qid]
  local jobs_key = jobs_key_of(tag, qid)
  local raws
  -- A queue with one job (a storm into many queues) reads and writes it with single-field commands:
  -- no reply table, no chunking.
  if type(jids) == 'string' then
    one[1] = jids
    jids = one
    one_raw[1] = redis.call('HGET', jobs_key, one[1])
    raws = one_raw
  else
    raws = chunked(hmget, jobs_key, jids, CHUNK)
  end
  if not m then
    -- No meta means the queue was purged while these jobs ran: drop the orphan bodies.
    local orphans = {}
    for k, jid in ipairs(jids) do
      if raws[k] then orphans[#orphans + 1] = jid end
    end
    chunked(hdel, jobs_key, orphans, CHUNK)
  else
    local was_full = queue_full(m)
    m.active = math.max(0, m.active - #jids)
    empty(back)
    empty(counted)
    empty(dropped)
    local waiting = 0
    for k = 1, #jids do
      local jid, raw = jids[k], raws[k]
      if raw then
        local job = parse_job(raw)
        if job.remaining == 0 then
          dropped[#dropped + 1] = jid
          if dead_limit > 0 then
            add_dead_letter(tag, qid, jid, job, m.interval, 'requeue_limit_reached', math.floor(now / 1000))
          end
        else
          -- Every retry is counted (the next delivery's attempt), a job requeued forever (-1) too.
          if job.remaining > 0 then job.remaining = job.remaining - 1 end
          job.retries = job.retries + 1
          counted[#counted + 1] = jid
          counted[#counted + 1] = format_job(job)
          local wait_ms = backoff_ms(job, job.retries)
          if wait_ms > 0 then
            -- Its back-off first, in the delayed set; then the front of its queue (promote_due).
            add_delayed(tag, qid, jid, now + wait_ms * 1000)
            waiting = waiting + 1
          else
            back[#back + 1] = jid
          end
        end
      end
    end
    requeued = requeued + waiting
    if #dropped > 0 then
      chunked(hdel, jobs_key, dropped, CHUNK)
      discarded = discarded + #dropped
    end
    if #counted == 2 then
      redis.call('HSET', jobs_key, counted[1], counted[2])
    else
      chunked(hset, jobs_key, counted, 2 * CHUNK)
    end
    if #back > 0 then
      -- LPUSH puts its last argument at the head: the earliest expired, pushed last, leads.
      local queue_key = queue_key_of(tag, qid)
      local length
      if #back == 1 then
        length = redis.call('LPUSH', queue_key, back[1])
      else
        local _, last = chunked(lpush, queue_key, back, CHUNK)
        length = last
      end
      local ready_at = earliest_dequeue(m, now)
      if length == #back and ready_at then
        ready_pairs[#ready_pairs + 1] = int_str(ready_at)
        ready_pairs[#ready_pairs + 1] = qid
        if not earliest_ready or ready_at < earliest_ready then earliest_ready = ready_at end
      elseif was_full and ready_at then
        -- Its queue was at its max_active, out of the ready set: the expired jobs freed it.
        make_ready(tag, ready_key, qid, m, now, true)
      end
      meta_fields[#meta_fields + 1] = qid
      meta_fields[#meta_fields + 1] = format_meta(m)
      requeued = requeued + #back
      queued_back = queued_back + #back
    else
      unblock_if_freed(tag, ready_key, qid, m, was_full, now)
      save_or_forget(tag, queues_key, qid, m, now, idle_ttl_ms)
    end
  end
end
-- Waiters refused at the type's max_active learn of the freed slots.
free_type_slot(tag, active_key, #expired, now)

chunked(zadd, ready_key, ready_pairs, 2 * CHUNK)
chunked(hset, queues_key, meta_fields, 2 * CHUNK)
if earliest_ready then signal_ready(tag, earliest_ready) end
if queued_back > 0 then
  redis.call('HINCRBY', totals_key, 'queued', queued_back)
end

if discarded > 0 and dead_limit > 0 then
  trim_dead_letters(tag, dead_limit, batch + 1000)
end
return { requeued, discarded, #expired == batch and 1 or 0, took_us() }
