-- Flow control (SPEC 5.14): pauses and holds, max_active per queue and per type, and the type's
-- token bucket. Spliced in after common and lifecycle at "-- @include flow". Every key here is
-- derived from the type's tag, so a script stays in the type's cluster slot.
--
-- A queue's own limits live in its meta (max_active, paused: see parse_meta), so the dequeue that
-- pops it reads them anyway; a queue blocked by them is out of the ready set until what unblocks it
-- (resume, the end of a timed pause, a freed slot) puts it back in the same script. The type's limits
-- live in <tag>:limits, read once per call with the type's next_due (type_state, lua/include/lifecycle.lua):
--   paused      PAUSED_UNTIL_RESUMED, or the end of a timed pause (us)
--   max_active  jobs of the type active at once, over all its queues
--   rate_per_s, burst   the token bucket (burst absent: rate_per_s)
--   bucket      "<micro-tokens>|<at_us>": what the bucket held at that Redis time; absent: full. Whole
--               micro-tokens keep every figure an integer: formatting a fraction ('%.17g') would cost a
--               dequeue more than the rest of the bucket's work together.

local function limits_key_of(tag) return tag .. ':limits' end
local function paused_key_of(tag) return tag .. ':paused' end

-- Pauses a queue until until_us (PAUSED_UNTIL_RESUMED: until resumed). longer_only keeps a pause that
-- already lasts longer (a fail's hold never shortens one). The caller writes the meta.
local function pause_queue(tag, ready_key, qid, m, until_us, now, longer_only)
  if longer_only and (m.paused == PAUSED_UNTIL_RESUMED or m.paused >= until_us) then return end
  m.paused = until_us
  redis.call('ZADD', paused_key_of(tag), until_us == PAUSED_UNTIL_RESUMED and '+inf' or int_str(until_us), qid)
  reschedule(tag, ready_key, qid, m, now)
end

-- Ends a queue's pause: its ready jobs are available at once. The caller writes the meta.
local function resume_queue(tag, ready_key, qid, m, now)
  m.paused = 0
  redis.call('ZREM', paused_key_of(tag), qid)
  reschedule(tag, ready_key, qid, m, now)
end

-- A bucket's size in whole micro-tokens: burst tokens (burst unset: rate_per_s); both as stored.
local function burst_micro_of(burst, rate)
  local micro = (burst or rate) * 1000000
  return micro - micro % 1
end

-- What a bucket kept as "<micro-tokens>|<at_us>" holds at `now` (absent: never used, so full), refilled
-- at rate micro-tokens a microsecond up to burst_micro; whole micro-tokens. Read with find, sub and
-- Lua's own coercion: this runs on every dequeue of a rate-limited type.
local function bucket_micro(kept, rate, burst_micro, now)
  if not kept then return burst_micro end
  local bar = string.find(kept, '|', 2, true)
  local micro = (now - string.sub(kept, bar + 1)) * rate
  micro = string.sub(kept, 1, bar - 1) + (micro - micro % 1)
  if micro > burst_micro then return burst_micro end
  return micro
end

-- The type's limits as one dequeue call sees them, or nil when the type has none (one read). While
-- it lets jobs out, gate.slots counts what max_active still allows and gate.micro what the bucket
-- holds (micro-tokens; a job of cost c takes c x 1,000,000); once it refuses, gate.refused names the limit ('type_paused', 'type_max_active' or
-- 'type_rate') and gate.retry_us says when it lifts (false: when a resume or a freed slot wakes waiters).
-- The gate is made with every field at once (a table grown field by field costs several rehashes).
local function open_gate(tag, active_key, now)
  local state = type_state(tag)
  local paused, max_active, rate = state.paused, state.max_active, state.rate_per_s
  if not (paused or max_active or rate) then return nil end
  if paused then
    paused = paused + 0
    if paused == PAUSED_UNTIL_RESUMED or paused > now then
      return { refused = 'type_paused', retry_us = paused > 0 and paused }
    end
  end
  local gate = { refused = false, retry_us = false, spent = false,
    slots = max_active and max_active - redis.call('ZCARD', active_key), rate = false, burst_micro = false, micro = false }
  if rate then
    -- rate_per_s tokens a second are rate_per_s micro-tokens a microsecond.
    rate = rate + 0
    local burst_micro = burst_micro_of(state.burst, rate)
    gate.rate, gate.burst_micro, gate.micro = rate, burst_micro, bucket_micro(state.bucket, rate, burst_micro, now)
  end
  return gate
end

-- Whether the type's limits let a job of `cost` out now; when not, gate.refused says which. A job
-- costing more than the burst goes out when the bucket is full and leaves it in debt: it would never
-- fit otherwise, and the debt keeps the long-run rate.
local function gate_allows(gate, cost, now)
  if gate.refused then return false end
  if gate.slots and gate.slots <= 0 then
    gate.refused = 'type_max_active'
    return false
  end
  if gate.micro then
    local need = cost * 1000000
    if need > gate.burst_micro then need = gate.burst_micro end
    if gate.micro < need then
      gate.refused = 'type_rate'
      gate.retry_us = now + math.ceil((need - gate.micro) / gate.rate)
      return false
    end
  end
  return true
end

-- A job of `cost` went out: it takes a slot and `cost` tokens.
local function gate_take(gate, cost)
  if gate.slots then gate.slots = gate.slots - 1 end
  if gate.micro then
    gate.micro = gate.micro - cost * 1000000
    gate.spent = true
  end
end

-- Keeps what the call took of the bucket (a call that took nothing writes nothing: the refill is
-- counted from the last write either way).
local function close_gate(tag, gate, now)
  if gate and gate.spent then
    redis.call('HSET', limits_key_of(tag), 'bucket', string.format('%d|%d', gate.micro, now))
  end
end

-- After `freed` jobs of the type left the active set (finished, failed, expired): when that freed a
-- slot of the type's max_active, waiting requests are told when the next queue is ready.
local function free_type_slot(tag, active_key, freed, now)
  if freed == 0 then return end
  -- Its own HGET, not type_state's HGETALL: a type with limits has several fields that a finish would
  -- read for this one (callgrind: 12k instructions more per finish).
  local max_active = redis.call('HGET', limits_key_of(tag), 'max_active')
  if not max_active then return end
  local active = redis.call('ZCARD', active_key)
  if active >= tonumber(max_active) or active + freed < tonumber(max_active) then return end
  local head = redis.call('ZRANGE', tag .. ':ready', '0', '0', 'WITHSCORES')
  if head[2] then signal_ready(tag, math.max(now, tonumber(head[2]))) end
end
