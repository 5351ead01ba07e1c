-- dead_migrate: one bounded step of moving the dead-letter LIST of earlier versions (JSON entries,
-- newest at the head) into <tag>:dead_index / <tag>:dead_jobs, oldest first so the order holds.
-- The payload is kept as the exact text it was stored as (never decoded and re-encoded).
--
-- KEYS[1] <tag>:dead         the old LIST (deleted by Redis once empty)
-- KEYS[2] <tag>:dead_index   (<tag>:dead_jobs, <tag>:queues and <tag>:totals are derived from it)
-- ARGV[1] batch size
-- ARGV[2] dead-letter limit
--
-- Reply: {moved, left}  (an entry that is not JSON at all is dropped: it was never ours)
-- Cost: O(b log n) for b = batch size.

-- @include common
-- @include lifecycle
-- @include flow

local old_key = KEYS[1]
local tag = tag_of(KEYS[2], ':dead_index')
local batch, limit = tonumber(ARGV[1]), tonumber(ARGV[2])

local function parse_old(entry)
  local qid, jid, reason, at_ms, rest = string.match(entry,
    '^{"queue_id":"([^"]*)","job_id":"([^"]*)","reason":"([^"]*)","discarded_at_ms":(%d+),(.*)}$')
  if not qid then return nil end
  local requeue_limit, payload = string.match(rest, '^"requeue_limit":(%-?%d+),"payload":(.*)$')
  if not requeue_limit then
    -- The first form had no requeue_limit: such a job was discarded with none left to spend.
    requeue_limit, payload = '0', string.match(rest, '^"payload":(.*)$')
  end
  if not payload then return nil end
  return qid, jid, reason, tonumber(at_ms), tonumber(requeue_limit), payload
end

-- An entry of an unexpected shape is decoded instead (its payload re-encoded), rather than lost.
local function decode_old(entry)
  local ok, e = pcall(cjson.decode, entry)
  if not ok or type(e) ~= 'table' or type(e.queue_id) ~= 'string' or type(e.job_id) ~= 'string' then return nil end
  return e.queue_id, e.job_id, tostring(e.reason or 'requeue_limit_reached'), tonumber(e.discarded_at_ms) or 0,
    tonumber(e.requeue_limit) or 0, cjson.encode(e.payload)
end

local entries = redis.call('RPOP', old_key, batch)
local moved = 0
if entries then
  for _, entry in ipairs(entries) do
    local qid, jid, reason, at_ms, requeue_limit, payload = parse_old(entry)
    if not qid then qid, jid, reason, at_ms, requeue_limit, payload = decode_old(entry) end
    if qid then
      local m = read_meta(tag .. ':queues', qid)
      local job = { remaining = 0, limit = requeue_limit, cost = 1, payload = payload }
      add_dead_letter(tag, qid, jid, job, m and m.interval or 0, reason, at_ms)
      moved = moved + 1
    end
  end
  trim_dead_letters(tag, limit, batch + 1000)
end
return { moved, redis.call('LLEN', old_key) }
