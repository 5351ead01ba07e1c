-- Putting migrated jobs into a queue of this server's layout (spliced after "-- @include common", whose key
-- layout and helpers it uses). Shared by migrate_step.lua (same Redis, one atomic step) and
-- migrate_write.lua (another source Redis, first phase of a two-phase step). Needs migrate_bulk.

-- Jobs of `jobs` ({id, remaining, payload}) not yet queued or active in the queue, in order. A job id
-- already there (or twice in the batch) is a duplicate, as an enqueue of it would be.
local function migrate_fresh_jobs(jobs_key_, jobs)
  local ids = {}
  for i, job in ipairs(jobs) do ids[i] = job.id end
  local existing = hmget_chunked(jobs_key_, ids)
  local fresh, seen = {}, {}
  for i, job in ipairs(jobs) do
    if not existing[i] and not seen[job.id] then
      seen[job.id] = true
      fresh[#fresh + 1] = job
    end
  end
  return fresh
end

-- Appends `jobs` (queued jobs, in FIFO order) or pushes them to the front (active jobs, given latest
-- expiry first, so the earliest expiry ends at the head). The queue keeps the later of its own last
-- dequeue and last_us (the old layout's), so its rate limit holds across the move.
-- k = {ready, queues, totals, queue, jobs, idle}. Returns the number of jobs written.
local function migrate_put(k, qid, interval_ms, last_us, at_front, jobs, now)
  if #jobs == 0 then return 0 end
  local tag = tag_of(k.ready, ':ready')
  local m = read_meta(k.queues, qid)
  if not m then m = revive_meta(tag, qid, interval_ms) end
  if last_us > m.last then m.last = last_us end

  local was_empty = redis.call('LLEN', k.queue) == 0
  local records, ids = {}, {}
  for i, job in ipairs(jobs) do
    records[2 * i - 1] = job.id
    records[2 * i] = format_job({ remaining = job.remaining, limit = job.remaining, cost = 1, payload = job.payload })
    ids[i] = job.id
  end
  -- MIGRATE_CHUNK is even: a chunk never splits a field from its value.
  in_chunks(#records, function(from, to) redis.call('HSET', k.jobs, unpack(records, from, to)) end)
  if at_front then
    -- LPUSH of several ids pushes them one after the other: the last given ends at the head.
    in_chunks(#ids, function(from, to) redis.call('LPUSH', k.queue, unpack(ids, from, to)) end)
  else
    in_chunks(#ids, function(from, to) redis.call('RPUSH', k.queue, unpack(ids, from, to)) end)
  end
  write_meta(k.queues, qid, m)
  redis.call('HINCRBY', k.totals, 'queued', #jobs)

  local earliest = earliest_dequeue(m, now)
  local score = not was_empty and redis.call('ZSCORE', k.ready, qid)
  if not earliest then
    -- Paused until resumed, or at its max_active: the resume or the freed slot makes it ready.
  elseif not score then
    redis.call('ZADD', k.ready, earliest, qid)
    signal_ready(tag, earliest)
  elseif earliest > now and tonumber(score) < earliest then
    -- The old layout's last dequeue was later than the queue's own: the rate limit pushes it back.
    redis.call('ZADD', k.ready, earliest, qid)
  end
  return #jobs
end
