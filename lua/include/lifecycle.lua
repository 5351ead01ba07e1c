-- The job lifecycle beyond queued and active: delayed jobs and dead letters. Spliced in after
-- common (it uses its functions) by scripts that say "-- @include lifecycle". Every key here is
-- derived from the type's tag, so a script stays in the type's cluster slot.

-- Delayed jobs promoted per enqueue or dequeue call before it does its own work: bounds the cost of
-- a call however many jobs came due at once (the leader's promoter, src/process/delayed-promoter.ts,
-- moves the rest in batches of its own).
local PROMOTE_PER_CALL = 20

-- The earliest due time as promote_due's peek found it when it promoted nothing (false: no delayed
-- job), or nil when not known; add_delayed forgets it.
local peeked_next_due_us = nil

local function delayed_key_of(tag) return tag .. ':delayed' end

-- The type's state hash <tag>:limits, read with one HGETALL per script call (read_type_state) into the
-- per-call locals below (false: absent): its flow control (lua/include/flow.lua: paused, spec, tat) and
-- next_due, the earliest due time (us) of its delayed jobs, absent when it has none, so the many calls
-- of a type with nothing due skip promote_due's peek at the delayed set.
-- HGETALL, not HMGET of the known fields: most types have no such hash, and an HMGET of six absent
-- fields costs a call three times what an HGETALL of an absent key does (callgrind, Redis 7.0). Each
-- field costs a call that reads it about 2.7k instructions, so the hash keeps few.
-- Locals, not a table: a table of the fields costs a rate-limited dequeue its allocation and a store per field.
-- next_due is never later than the real earliest: add_delayed lowers it, and a removal may leave it
-- early (the peek it then causes corrects it). Delayed jobs parked by an earlier version have none:
-- the leader's promoter (lua/promote.lua) always peeks and records it, within a second.
local type_state_read = false
local type_paused = false
local type_spec = false
local type_tat = false
local type_old_bucket = false
local type_next_due = false
-- max_active, rate_per_s and burst as fields of their own, as earlier versions kept them (see spec in
-- lua/include/flow.lua), by name; false when there are none.
local type_old_limits = false
local function read_type_state(tag)
  if type_state_read then return end
  type_state_read = true
  local v = redis.call('HGETALL', tag .. ':limits')
  for i = 1, #v, 2 do
    local field, value = v[i], v[i + 1]
    if field == 'spec' then type_spec = value
    elseif field == 'tat' then type_tat = value
    elseif field == 'next_due' then type_next_due = value
    elseif field == 'paused' then type_paused = value
    elseif field == 'bucket' then type_old_bucket = value
    elseif field == 'max_active' or field == 'rate_per_s' or field == 'burst' then
      type_old_limits = type_old_limits or {}
      type_old_limits[field] = value
    end
  end
end

-- Records the earliest due time (nil: the type has no delayed job; no key is made for that).
local function record_next_due(tag, due_us)
  read_type_state(tag)
  if due_us then
    local value = int_str(due_us)
    if type_next_due == value then return end
    type_next_due = value
    redis.call('HSET', tag .. ':limits', 'next_due', value)
  elseif type_next_due then
    type_next_due = false
    redis.call('HDEL', tag .. ':limits', 'next_due')
  end
end
local function dead_index_key_of(tag) return tag .. ':dead_index' end
local function dead_jobs_key_of(tag) return tag .. ':dead_jobs' end

local function add_delayed_count(tag, qid, delta)
  local key = tag .. ':delayed_counts'
  if redis.call('HINCRBY', key, qid, delta) <= 0 then redis.call('HDEL', key, qid) end
end

-- Parks a job (its body already in <tag>:jobs:<qid>) until due_us.
local function add_delayed(tag, qid, jid, due_us)
  type_has_no_delayed = false
  peeked_next_due_us = nil
  redis.call('ZADD', delayed_key_of(tag), due_us, qid .. ':' .. jid)
  add_delayed_count(tag, qid, 1)
  read_type_state(tag)
  local known = type_next_due
  if not known or due_us < tonumber(known) then record_next_due(tag, due_us) end
end

-- Earliest due time (us) of a delayed job of the type, or nil.
local function next_due_us(tag)
  if peeked_next_due_us ~= nil then return peeked_next_due_us or nil end
  local head = redis.call('ZRANGE', delayed_key_of(tag), '0', '0', 'WITHSCORES')
  return head[2] and tonumber(head[2]) or nil
end

-- The earliest time (us) a queue of the type becomes ready or a delayed job of it comes due, or nil
-- when it has neither queued nor delayed jobs (long-polling waiters set their timer by it).
-- ready_head_us: the ready set's earliest score if the caller has just read it (false: empty).
local function next_ready_us(tag, ready_key, ready_head_us)
  local ready_us = ready_head_us
  if ready_us == nil then
    local head = redis.call('ZRANGE', ready_key, '0', '0', 'WITHSCORES')
    ready_us = head[2] and tonumber(head[2])
  end
  local due_us = next_due_us(tag)
  if ready_us and due_us then return math.min(ready_us, due_us) end
  return ready_us or due_us
end

-- Moves up to `limit` delayed jobs due by `now` to their queues, earliest due first: a delayed
-- enqueue joins the tail (FIFO by due time), a retry waiting out its back-off goes to the front
-- (it keeps its place ahead of newer jobs; its record's retries say which it is). A queue that gets its first job is ready from the job's due time, or later
-- when its rate limit says so. Returns the number of jobs moved and whether more are due.
-- always_peek reads the delayed set whatever next_due says (the leader's promoter: it repairs next_due).
-- Cost: O(log n + limit) in delayed jobs of the type. Most calls find nothing due: the type state's
-- next_due settles those with no call of their own (read_type_state's HGETALL serves the dequeue's limits too).
local function promote_due(tag, now, limit, always_peek)
  read_type_state(tag)
  local known = type_next_due
  if not always_peek then
    if not known then
      type_has_no_delayed, peeked_next_due_us = true, false
      return 0, false
    end
    known = known + 0
    if known > now then
      peeked_next_due_us = known
      return 0, false
    end
  end
  local head = redis.call('ZRANGE', delayed_key_of(tag), '0', '0', 'WITHSCORES')
  if not head[2] then
    type_has_no_delayed, peeked_next_due_us = true, false
    record_next_due(tag, nil)
    return 0, false
  end
  if tonumber(head[2]) > now then
    peeked_next_due_us = tonumber(head[2])
    record_next_due(tag, peeked_next_due_us)
    return 0, false
  end
  peeked_next_due_us = nil
  local due = redis.call('ZRANGEBYSCORE', delayed_key_of(tag), '-inf', int_str(now), 'WITHSCORES', 'LIMIT', '0', limit)
  if #due == 0 then return 0, false end
  local members = {}
  for i = 1, #due, 2 do members[#members + 1] = due[i] end
  redis.call('ZREM', delayed_key_of(tag), unpack(members))

  local queues_key = tag .. ':queues'
  local moved = 0
  for i = 1, #due, 2 do
    local qid, jid = string.match(due[i], '^([^:]+):(.+)$')
    add_delayed_count(tag, qid, -1)
    -- A body removed by a purge leaves nothing to promote.
    local raw = redis.call('HGET', jobs_key_of(tag, qid), jid)
    if raw then
      local m = read_meta(queues_key, qid) or revive_meta(tag, qid, 0)
      local _, record = split_trace(raw)
      local retries = string.match(record, '^~%-?%d+|%-?%d+|%d+|(%d+)|')
      local length
      if retries and retries ~= '0' then
        length = redis.call('LPUSH', queue_key_of(tag, qid), jid)
      else
        length = redis.call('RPUSH', queue_key_of(tag, qid), jid)
      end
      if length == 1 then make_ready(tag, tag .. ':ready', qid, m, tonumber(due[i + 1])) end
      write_meta(queues_key, qid, m)
      moved = moved + 1
    end
  end
  if moved > 0 then redis.call('HINCRBY', tag .. ':totals', 'queued', moved) end
  local rest = redis.call('ZRANGE', delayed_key_of(tag), '0', '0', 'WITHSCORES')
  record_next_due(tag, rest[2] and tonumber(rest[2]))
  return moved, #members == limit
end

-- A dead-letter entry (the value in <tag>:dead_jobs):
--   "<discarded_at_ms>|<reason>|<interval_ms>|<job record>"
-- with the job record of format_job as it was discarded (its requeue_limit, cost and payload) and the
-- queue's interval then, so a replay can revive a queue that has gone idle since. Parsed in
-- TypeScript by src/engine/dead-letters.ts.
local function parse_dead(raw)
  local at_ms, reason, interval, record = string.match(raw, '^(%d+)|([^|]*)|(%d+)|(.*)$')
  return { at_ms = tonumber(at_ms), reason = reason, interval = tonumber(interval), job = parse_job(record) }
end

-- Keeps a discarded job; a job id discarded again replaces its older entry (and becomes newest).
local function add_dead_letter(tag, qid, jid, job, interval_ms, reason, at_ms)
  local member = qid .. ':' .. jid
  local seq = redis.call('HINCRBY', tag .. ':totals', 'dead_seq', 1)
  redis.call('ZADD', dead_index_key_of(tag), seq, member)
  redis.call('HSET', dead_jobs_key_of(tag), member,
    int_str(at_ms) .. '|' .. reason .. '|' .. int_str(interval_ms) .. '|' .. format_job(job))
end

-- Drops the oldest dead letters beyond `limit`, at most `max_drop` of them per call (a lowered
-- dead_letter_limit is reached over several calls).
local function trim_dead_letters(tag, limit, max_drop)
  local over = math.min(redis.call('ZCARD', dead_index_key_of(tag)) - limit, max_drop)
  if over <= 0 then return end
  local popped = redis.call('ZPOPMIN', dead_index_key_of(tag), over)
  local members = {}
  for i = 1, #popped, 2 do members[#members + 1] = popped[i] end
  redis.call('HDEL', dead_jobs_key_of(tag), unpack(members))
end
