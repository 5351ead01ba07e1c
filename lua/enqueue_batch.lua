-- enqueue_batch: append up to a bounded number of jobs (the caller splits larger batches) to
-- queues of one type. Each job is handled exactly as by enqueue.lua (same function), in order.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:totals
-- Each job's <tag>:queue:<qid>, <tag>:jobs:<qid> and <tag>:idle:<qid> are derived from KEYS[1]
-- (same hash tag, so the same cluster slot).
-- ARGV: 11 fields per job: queue_id, job_id, payload (JSON text), interval (ms), requeue limit,
--       max queued length ('' for no limit), cost, delay (ms; 0 queues the job now), back-off ('' or
--       "<backoff_ms>|<backoff_max_ms>", as for enqueue.lua), max_active ('' or 0 for no limit), trace
--       context ('' for none, as enqueue.lua's ARGV[11])
--
-- Reply: {status_1, queue_length_1, status_2, queue_length_2, ...} in the order of the jobs (each queue's
--        length before that job),
--        status 'queued' | 'duplicate' | 'rejected' as for enqueue.
-- Cost: O(1) per job.

-- @include common
-- @include lifecycle
-- @include flow
-- @include jobs

local ready_key, queues_key, totals_key = KEYS[1], KEYS[2], KEYS[3]
local tag = tag_of(ready_key, ':ready')
local now = now_us()
promote_due(tag, now, PROMOTE_PER_CALL)
local reply = {}
local tally = new_tally()
local FIELDS = 11
for i = 1, #ARGV, FIELDS do
  local backoff, backoff_max = backoff_of(ARGV[i + 8])
  local status, queue_length = enqueue_job(tag, ready_key, queues_key, totals_key, {
    qid = ARGV[i],
    jid = ARGV[i + 1],
    payload = ARGV[i + 2],
    interval_ms = tonumber(ARGV[i + 3]),
    limit = tonumber(ARGV[i + 4]),
    max_len = tonumber(ARGV[i + 5]),
    cost = tonumber(ARGV[i + 6]),
    delay_ms = tonumber(ARGV[i + 7]),
    backoff = backoff,
    backoff_max = backoff_max,
    max_active = tonumber(ARGV[i + 9]) or 0,
    trace = trace_of(ARGV[i + 10]),
  }, now, tally)
  reply[#reply + 1] = status
  reply[#reply + 1] = queue_length
end
write_tally(tally, totals_key, tag, now, 'enq')
return reply
