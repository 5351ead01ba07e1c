-- limits: set a queue's or a type's limits (SPEC 5.14). Only the fields given change.
--   A queue: interval and max_active, both pinned (later enqueues do not change them) until the queue
--   has no queued, active or delayed job left, as the Interval API pins an interval. A queue that went
--   idle keeps them for its next life.
--   A type: max_active over all its queues, and the token bucket (rate_per_s, burst). The bucket
--   keeps what it holds across a change (at most the new burst); a new bucket starts full.
-- A change that lets more out wakes waiting requests.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:limits
-- KEYS[4] <tag>:idle:<qid>  (a queue's limits; any key of the tag for a type's)
-- <tag>:queue:<qid> is derived from KEYS[1] (same hash tag).
-- ARGV[1] queue_id, or '' for the type's limits
-- A queue's:  ARGV[2] interval (ms) or '' to keep it; ARGV[3] max_active ('' to keep it, 0 for no limit)
-- A type's:   ARGV[2] max_active, ARGV[3] rate_per_s, ARGV[4] burst: each '' to keep it, 'none' to remove it
--             (removing rate_per_s removes the bucket, burst included)
--
-- Reply: 1 updated; 0 no such queue (neither live nor idle).
-- Cost: O(log n) in ready queues of the type.

-- @include common
-- @include lifecycle
-- @include flow

local ready_key, queues_key, limits_key = KEYS[1], KEYS[2], KEYS[3]
local tag = tag_of(ready_key, ':ready')
local qid = ARGV[1]
local now = now_us()

local function wake_waiters()
  local head = redis.call('ZRANGE', ready_key, '0', '0', 'WITHSCORES')
  if head[2] then signal_ready(tag, math.max(now, tonumber(head[2]))) end
end

if qid ~= '' then
  local interval, max_active = tonumber(ARGV[2]), tonumber(ARGV[3])
  local m = read_meta(queues_key, qid)
  local live = m ~= nil
  if not m then
    local raw = redis.call('GET', KEYS[4])
    if not raw then return 0 end
    m = parse_meta(raw)
  end
  if interval then m.interval, m.pinned = interval, true end
  if max_active then m.max_active, m.max_pinned = max_active, true end
  if not live then
    redis.call('SET', KEYS[4], format_meta(m), 'KEEPTTL')
    return 1
  end
  reschedule(tag, ready_key, qid, m, now)
  write_meta(queues_key, qid, m)
  return 1
end

read_type_state(tag)
if type_old_limits then adopt_old_limits(tag) end
-- The spec's texts as kept ('' : not set), so a limit left alone keeps its exact text.
local kept_max, kept_rate, kept_burst = string.match(type_spec or '||', SPEC_PATTERN)
local kept = parsed_spec(type_spec)
-- Tokens the bucket holds now under the limits it had (nil: no bucket, or a full one; below 0: in debt).
local held = nil
if kept.rate then
  local tat = bucket_tat(kept.rate, kept.burst, now)
  if tat > now then held = kept.burst - (tat - now) * kept.rate / 1000000 end
end

local function changed(arg, kept_text)
  if arg == 'none' then return '' end
  if arg ~= '' then return arg end
  return kept_text or ''
end
local max_active, rate, burst = changed(ARGV[2], kept_max), changed(ARGV[3], kept_rate), changed(ARGV[4], kept_burst)
if ARGV[3] == 'none' then burst = '' end
local spec = spec_text(max_active ~= '' and max_active, rate ~= '' and rate, burst ~= '' and burst)
if spec then redis.call('HSET', limits_key, 'spec', spec) else redis.call('HDEL', limits_key, 'spec') end
if rate == '' then
  -- No rate: no bucket.
  redis.call('HDEL', limits_key, 'tat', 'bucket')
else
  -- The bucket keeps what it holds, at most the new burst (full: no tat).
  local rate_n = tonumber(rate)
  local size = burst ~= '' and tonumber(burst) or rate_n
  if held and held < size then
    redis.call('HSET', limits_key, 'tat', int_str(math.ceil(now + (size - held) * 1000000 / rate_n)))
  else
    redis.call('HDEL', limits_key, 'tat')
  end
  if type_old_bucket then redis.call('HDEL', limits_key, 'bucket') end
end
wake_waiters()
return 1
