-- enqueue: append a job to its queue, creating the queue on first use.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:totals
-- The queue's own keys, <tag>:queue:<qid> (job ids), <tag>:jobs:<qid> (job bodies) and <tag>:idle:<qid>
-- (its idle record), are derived from the tag and ARGV[1] (lua/include/jobs.lua): the same slot. Not passed
-- as KEYS: FCALL makes every key an interned Lua string, about 1.2k instructions each.
-- ARGV[1] queue_id
-- ARGV[2] job_id
-- ARGV[3] payload (JSON text)
-- ARGV[4] interval (ms)
-- ARGV[5] requeue limit (-1 forever, 0 never, N times)
-- ARGV[6] max queued length, or '' for no limit
-- ARGV[7] cost: intervals its dequeue spends of the queue's rate limit (default 1)
-- ARGV[8] delay (ms): 0 or absent queues the job now; more parks it in <tag>:delayed until then
-- ARGV[9] back-off: '' or absent (retries go back at once) or "<backoff_ms>|<backoff_max_ms>": retry n
--         waits backoff x 2^(n-1) ms, at most backoff_max
-- ARGV[10] max_active: '' or 0 for no limit, else at most that many of the queue's jobs active at once
--          (unless pinned by the limits API, lua/limits.lua)
-- ARGV[11] W3C trace context: '' or absent (none), or "<traceparent>" or "<traceparent> <tracestate>",
--         validated by the caller (src/engine/trace-context.ts); kept in the job's record (parse_job)
-- <tag>:delayed and <tag>:delayed_counts are derived from KEYS[1] (same hash tag).
--
-- Reply: {'queued' | 'duplicate' | 'rejected', queue_length} (the queue's length before this call,
--   its delayed jobs included, as max queued length counts them);
--   duplicate: the job id is already queued, delayed or active in this queue (nothing changes);
--   rejected: the queue already holds max queued length jobs (nothing changes).
-- Cost: O(log d) in delayed jobs of the type (up to PROMOTE_PER_CALL due ones are promoted first,
-- so a job enqueued now never overtakes one that came due before it); the rest O(1).

-- @include common
-- @include lifecycle
-- @include flow
-- @include jobs

local ready_key, queues_key, totals_key = KEYS[1], KEYS[2], KEYS[3]
local tag = tag_of(ready_key, ':ready')
local now = now_us()
-- Jobs that came due before this one are queued first, so it never overtakes them.
promote_due(tag, now, PROMOTE_PER_CALL)
local backoff, backoff_max = backoff_of(ARGV[9])
local status, queue_length = enqueue_job(tag, ready_key, queues_key, totals_key, {
  qid = ARGV[1],
  jid = ARGV[2],
  payload = ARGV[3],
  interval_ms = tonumber(ARGV[4]),
  limit = tonumber(ARGV[5]),
  max_len = tonumber(ARGV[6]),
  cost = tonumber(ARGV[7]) or 1,
  delay_ms = tonumber(ARGV[8]) or 0,
  backoff = backoff,
  backoff_max = backoff_max,
  max_active = tonumber(ARGV[10]) or 0,
  trace = trace_of(ARGV[11]),
}, now)
return { status, queue_length }
