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
--   tat         the bucket as GCRA keeps it, one number: the Redis time (us) at which it is full again
--               (absent or past: full). It holds burst - (tat - now) x rate_per_s / 1,000,000 tokens, and
--               a job of cost c moves tat c x 1,000,000 / rate_per_s us later. Written rounded up to the
--               microsecond, so it never lets out more than the rate; a type dequeuing at its rate loses
--               under 1 us per call (0.1% at 1,000 single dequeues a second, 1% at 10,000). The two numbers
--               of the form before it cost a rate-limited dequeue 4.7k instructions more (callgrind).
--   bucket      "<micro-tokens>|<at_us>": the bucket as versions before tat kept it; read once into tat
--               (tat_of_old_bucket) and removed.

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

-- The bucket of the old form "<micro-tokens>|<at_us>" (whole micro-tokens at that Redis time; refilled at
-- rate micro-tokens a microsecond up to burst x 1,000,000) as a tat at `now`.
local function tat_of_old_bucket(kept, rate, burst, now)
  local micro_str, at_str = string.match(kept, '^(%-?%d+)|(%d+)$')
  if not micro_str then return now end
  local held = math.min(burst, (micro_str + (now - at_str) * rate) / 1000000)
  return now + (burst - held) * 1000000 / rate
end

-- The bucket's tat at `now` as the type's state keeps it (a past one is now: the bucket is full).
local function bucket_tat(state, rate, burst, now)
  local tat = state.tat
  if tat then
    tat = tat + 0
  elseif state.bucket then
    tat = tat_of_old_bucket(state.bucket, rate, burst, now)
  else
    return now
  end
  if tat < now then return now end
  return tat
end

-- The type's limits as one dequeue call sees them, or nil when the type has none (one read). While
-- it lets jobs out, gate.slots counts what max_active still allows and gate.tat is the bucket's (see
-- <tag>:limits above; a job of cost c moves it c x gate.token_us later); once it refuses,
-- gate.refused names the limit ('type_paused', 'type_max_active' or 'type_rate') and gate.retry_us
-- says when it lifts (false: when a resume or a freed slot wakes waiters).
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
    slots = max_active and max_active - redis.call('ZCARD', active_key), tat = false, token_us = false, burst = false,
    old_bucket = state.bucket }
  if rate then
    rate = rate + 0
    local burst = (state.burst or rate) + 0
    gate.tat, gate.token_us, gate.burst = bucket_tat(state, rate, burst, now), 1000000 / rate, burst
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
  if gate.tat then
    -- The bucket must hold `need` tokens: tat - now may be at most (burst - need) tokens' time.
    local need = cost
    if need > gate.burst then need = gate.burst end
    local fits_at = gate.tat - (gate.burst - need) * gate.token_us
    if fits_at > now then
      gate.refused = 'type_rate'
      gate.retry_us = math.ceil(fits_at)
      return false
    end
  end
  return true
end

-- A job of `cost` went out: it takes a slot and `cost` tokens.
local function gate_take(gate, cost)
  if gate.slots then gate.slots = gate.slots - 1 end
  if gate.tat then
    gate.tat = gate.tat + cost * gate.token_us
    gate.spent = true
  end
end

-- Keeps what the call took of the bucket (a call that took nothing writes nothing: tat already says
-- when the bucket is full).
local function close_gate(tag, gate)
  if not (gate and gate.spent) then return end
  redis.call('HSET', limits_key_of(tag), 'tat', string.format('%d', math.ceil(gate.tat)))
  if gate.old_bucket then redis.call('HDEL', limits_key_of(tag), 'bucket') end
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
