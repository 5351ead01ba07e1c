-- job_status: where a job is now (read only).
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:delayed
-- KEYS[3] <tag>:jobs:<qid>
-- KEYS[4] <tag>:queue:<qid>
-- KEYS[5] <tag>:dead_jobs
-- ARGV[1] queue_id
-- ARGV[2] job_id
-- ARGV[3] position limit: the position is looked up only in queues of at most this many jobs
--
-- Reply: {'active', expires_us, job record} | {'delayed', due_us, job record}
--      | {'queued', position (-1 when not looked up), job record} | {'dead', dead-letter entry} | {'none'}
--   A job live in its queue wins over an older dead letter of the same id.
-- Cost: O(log n) (ZSCORE, HGET), plus O(position limit) for LPOS.

local active_key, delayed_key, jobs_key, queue_key, dead_jobs_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local jid = ARGV[2]
local member = ARGV[1] .. ':' .. jid

local record = redis.call('HGET', jobs_key, jid)
if record then
  local expires = redis.call('ZSCORE', active_key, member)
  if expires then return { 'active', expires, record } end
  local due = redis.call('ZSCORE', delayed_key, member)
  if due then return { 'delayed', due, record } end
  local position = -1
  if redis.call('LLEN', queue_key) <= tonumber(ARGV[3]) then
    position = redis.call('LPOS', queue_key, jid) or -1
  end
  return { 'queued', position, record }
end
local dead = redis.call('HGET', dead_jobs_key, member)
if dead then return { 'dead', dead } end
return { 'none' }
