-- Flow control (SPEC 5.14): pauses and holds, max_active per queue and per type, and the type's
-- token bucket. Spliced in after common and lifecycle at "-- @include flow". Every key here is
-- derived from the type's tag, so a script stays in the type's cluster slot.
--
-- A queue's own limits live in its meta (max_active, paused: see parse_meta), so the dequeue that
-- pops it reads them anyway; a queue blocked by them is out of the ready set until what unblocks it
-- (resume, the end of a timed pause, a freed slot) puts it back in the same script. The type's limits
-- live in <tag>:limits, read once per call with the type's next_due (read_type_state, lua/include/lifecycle.lua):
--   paused      PAUSED_UNTIL_RESUMED, or the end of a timed pause (us)
--   spec        "<max_active>|<rate_per_s>|<burst>", each empty when not set (burst empty: rate_per_s;
--               a burst without a rate is kept for a rate set later):
--               max_active  jobs of the type active at once, over all its queues
--               rate_per_s, burst   the token bucket
--               Absent: none of the three. One field, not three: each field read costs a call about 2.7k
--               instructions, and a spec is parsed once per library (SPEC_MEMO), not once per call.
--   tat         the bucket as GCRA keeps it, one number: the Redis time (us) at which it is full again
--               (absent or past: full). It holds burst - (tat - now) x rate_per_s / 1,000,000 tokens, and
--               a job of cost c moves tat c x 1,000,000 / rate_per_s us later. Written rounded up to the
--               microsecond, so it never lets out more than the rate; a type dequeuing at its rate loses
--               under 1 us per call (0.1% at 1,000 single dequeues a second, 1% at 10,000). The two numbers
--               of the form before it cost a rate-limited dequeue 4.7k instructions more (callgrind).
--   max_active, rate_per_s, burst   the spec as versions before it kept it, a field each: read as the
--               spec and rewritten as one by the first call that opens the gate (adopt_old_limits).
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

-- A spec parsed: {max_active, rate, burst, token_us} (false: not set), memoized by its text for the
-- library's life (a type's spec changes only when its limits are set). At most SPEC_MEMO_MAX texts are
-- kept; the memo starts afresh when it is full.
local SPEC_MEMO = { size = 0, of = {} }
local SPEC_MEMO_MAX = 256
local NO_SPEC = { max_active = false, rate = false, burst = false, token_us = false }
-- The spec's three texts, each '' when not set.
local SPEC_PATTERN = '^(%d*)|([%d%.]*)|(%d*)$'

local function parsed_spec(raw)
  if not raw then return NO_SPEC end
  local spec = SPEC_MEMO.of[raw]
  if spec then return spec end
  local max_active, rate, burst = string.match(raw, SPEC_PATTERN)
  rate = tonumber(rate) or false
  spec = { max_active = tonumber(max_active) or false, rate = rate, burst = rate and (tonumber(burst) or rate),
    token_us = rate and 1000000 / rate }
  if SPEC_MEMO.size >= SPEC_MEMO_MAX then SPEC_MEMO.of, SPEC_MEMO.size = {}, 0 end
  SPEC_MEMO.of[raw], SPEC_MEMO.size = spec, SPEC_MEMO.size + 1
  return spec
end

-- The spec's text of max_active, rate_per_s and burst (strings; nil or false: not set), or false when
-- none is set.
local function spec_text(max_active, rate, burst)
  if not (max_active or rate or burst) then return false end
  return (max_active or '') .. '|' .. (rate or '') .. '|' .. (burst or '')
end

-- Rewrites the fields an earlier version kept (type_old_limits) as the spec.
local function adopt_old_limits(tag)
  local old = type_old_limits
  type_spec = spec_text(old.max_active, old.rate_per_s, old.burst)
  type_old_limits = false
  redis.call('HDEL', limits_key_of(tag), 'max_active', 'rate_per_s', 'burst')
  if type_spec then redis.call('HSET', limits_key_of(tag), 'spec', type_spec) end
end

-- The bucket's tat at `now` as the type's state keeps it (a past one is now: the bucket is full).
local function bucket_tat(rate, burst, now)
  local tat
  if type_tat then
    tat = type_tat + 0
  elseif type_old_bucket then
    tat = tat_of_old_bucket(type_old_bucket, rate, burst, now)
  else
    return now
  end
  if tat < now then return now end
  return tat
end

-- The type's limits as one dequeue call sees them (open_gate), in per-call locals rather than a table
-- (its allocation and a hash store per field cost a rate-limited dequeue more than the limits' checks).
-- While the gate lets jobs out, gate_slots counts what max_active still allows (false: no max_active)
-- and gate_tat is the bucket's (false: no rate; see <tag>:limits above; a job of cost c moves it
-- c x gate_token_us later); once it refuses, gate_refused names the limit ('type_paused',
-- 'type_max_active' or 'type_rate') and gate_retry_us says when it lifts (false: when a resume or a
-- freed slot wakes waiters).
local gate_refused = false
local gate_retry_us = false
local gate_slots = false
local gate_tat = false
local gate_token_us = false
local gate_burst = false
local gate_spent = false

-- Reads the type's limits (one read) and opens the gate; false when the type has none, so the
-- caller need not ask gate_allows.
local function open_gate(tag, active_key, now)
  read_type_state(tag)
  if type_old_limits then adopt_old_limits(tag) end
  if not (type_paused or type_spec) then return false end
  if type_paused then
    local paused = type_paused + 0
    if paused == PAUSED_UNTIL_RESUMED or paused > now then
      gate_refused, gate_retry_us = 'type_paused', paused > 0 and paused
      return true
    end
  end
  local spec = SPEC_MEMO.of[type_spec] or parsed_spec(type_spec)
  if spec.max_active then gate_slots = spec.max_active - redis.call('ZCARD', active_key) end
  if spec.rate then
    gate_tat, gate_token_us, gate_burst = bucket_tat(spec.rate, spec.burst, now), spec.token_us, spec.burst
  end
  return true
end

-- Whether the type's limits let a job of `cost` out now; when not, gate_refused says which. A job
-- costing more than the burst goes out when the bucket is full and leaves it in debt: it would never
-- fit otherwise, and the debt keeps the long-run rate.
local function gate_allows(cost, now)
  if gate_refused then return false end
  if gate_slots and gate_slots <= 0 then
    gate_refused = 'type_max_active'
    return false
  end
  if gate_tat then
    -- The bucket must hold `need` tokens: tat - now may be at most (burst - need) tokens' time.
    local need = cost
    if need > gate_burst then need = gate_burst end
    local fits_at = gate_tat - (gate_burst - need) * gate_token_us
    if fits_at > now then
      gate_refused = 'type_rate'
      gate_retry_us = math.ceil(fits_at)
      return false
    end
  end
  return true
end

-- A job of `cost` went out: it takes a slot and `cost` tokens.
local function gate_take(cost)
  if gate_slots then gate_slots = gate_slots - 1 end
  if gate_tat then
    gate_tat = gate_tat + cost * gate_token_us
    gate_spent = true
  end
end

-- Keeps what the call took of the bucket (a call that took nothing writes nothing: tat already says
-- when the bucket is full).
local function close_gate(tag)
  if not gate_spent then return end
  redis.call('HSET', limits_key_of(tag), 'tat', string.format('%d', math.ceil(gate_tat)))
  if type_old_bucket then redis.call('HDEL', limits_key_of(tag), 'bucket') end
end

-- After `freed` jobs of the type left the active set (finished, failed, expired): when that freed a
-- slot of the type's max_active, waiting requests are told when the next queue is ready.
local function free_type_slot(tag, active_key, freed, now)
  if freed == 0 then return end
  -- Its own HGET, not read_type_state's HGETALL: a type with limits has other fields that a finish would
  -- read for this one. A type whose limits are still in an earlier version's fields has had no dequeue
  -- since the upgrade (its first one adopts them), so no waiter of this version waits for its slots.
  local max_active = parsed_spec(redis.call('HGET', limits_key_of(tag), 'spec')).max_active
  if not max_active then return end
  local active = redis.call('ZCARD', active_key)
  if active >= max_active or active + freed < max_active then return end
  local head = redis.call('ZRANGE', tag .. ':ready', '0', '0', 'WITHSCORES')
  if head[2] then signal_ready(tag, math.max(now, tonumber(head[2]))) end
end
