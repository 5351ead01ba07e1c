-- dead_replay: put dead letters back at the tail of their queues with their original requeue_limit.
-- Each job leaves the dead letters in the same step as it joins its queue: never in both, never in
-- neither. A dead letter whose job id is live again in its queue (queued, delayed or active) is
-- skipped and stays, so a replay never makes a second copy.
--
-- KEYS[1] <tag>:dead_index
-- <tag>:dead_jobs, <tag>:ready, <tag>:queues, <tag>:totals and each job's <tag>:queue:<qid>,
-- <tag>:jobs:<qid> and <tag>:idle:<qid> are derived from KEYS[1] (same hash tag).
-- ARGV[1] 'ids': ARGV[2..] are the dead letters, as "<queue_id>:<job_id>"
--         'all': ARGV[2] cursor (replay the oldest entries with a sequence above it; '0' to start),
--                ARGV[3] batch size
--
-- Reply: {replayed, skipped (live again, or not a dead letter), next_cursor ('' when done)}
-- Cost: O(b log n) for b = ids given or batch size.

-- @include common
-- @include lifecycle
-- @include flow

local index_key = KEYS[1]
local tag = tag_of(index_key, ':dead_index')
local queues_key = tag .. ':queues'
local now = now_us()

local function replay(member)
  local raw = redis.call('HGET', dead_jobs_key_of(tag), member)
  if not raw then return false end
  local qid, jid = string.match(member, '^([^:]+):(.+)$')
  if redis.call('HEXISTS', jobs_key_of(tag, qid), jid) == 1 then return false end
  local dead = parse_dead(raw)
  local job = dead.job
  -- A replay starts the job's attempts afresh; its last error stays until a new one replaces it.
  job.remaining = job.limit
  job.retries = 0
  local m = read_meta(queues_key, qid) or revive_meta(tag, qid, dead.interval)
  redis.call('HSET', jobs_key_of(tag, qid), jid, format_job(job))
  if redis.call('RPUSH', queue_key_of(tag, qid), jid) == 1 then make_ready(tag, tag .. ':ready', qid, m, now) end
  write_meta(queues_key, qid, m)
  redis.call('ZREM', index_key, member)
  redis.call('HDEL', dead_jobs_key_of(tag), member)
  return true
end

local members, next_cursor = {}, ''
if ARGV[1] == 'all' then
  local batch = tonumber(ARGV[3])
  local page = redis.call('ZRANGEBYSCORE', index_key, '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, batch)
  for i = 1, #page, 2 do members[#members + 1] = page[i] end
  if #members == batch then next_cursor = page[#page] end
else
  for i = 2, #ARGV do members[#members + 1] = ARGV[i] end
end

local replayed = 0
for _, member in ipairs(members) do
  if replay(member) then replayed = replayed + 1 end
end
if replayed > 0 then redis.call('HINCRBY', tag .. ':totals', 'queued', replayed) end
return { replayed, #members - replayed, next_cursor }
