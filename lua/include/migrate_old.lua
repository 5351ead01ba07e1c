-- Reading and removing jobs of the Python SharQ's layout (P = its key prefix, T = type, Q = queue id):
-- P:T:Q LIST of job ids, P:payload HASH "T:Q:J" -> msgpack payload, P:interval HASH "T:Q" -> ms,
-- P:T:Q:requeues_remaining HASH J -> n, P:T ZSET of ready queues (score ms), P:T:Q:time STRING last
-- dequeue (ms), P:T:active ZSET "Q:J" -> expiry (ms), P:ready:queue_type and P:active:queue_type SETs.
-- None of these carry a hash tag: scripts using this run on one non-cluster Redis only.
-- Needs migrate_bulk. ko = {list, payloads, intervals, requeues, ready, active, time, ready_types, active_types}

local function old_interval_ms(ko, qtype, qid)
  return tonumber(redis.call('HGET', ko.intervals, qtype .. ':' .. qid)) or 0
end

-- The old layout's last dequeue (us): its time key, or what its ready score implies (score = last + interval).
local function old_last_us(ko, qid, interval_ms)
  local last_ms = tonumber(redis.call('GET', ko.time)) or 0
  local score = tonumber(redis.call('ZSCORE', ko.ready, qid))
  if score and score - interval_ms > last_ms then last_ms = score - interval_ms end
  return last_ms * 1000
end


-- Deletes what the old layout keeps of the jobs (ids already taken off the list or the active set), then
-- drops the queue from the ready set once its list is empty, and a type from the type sets once it has
-- no ready queue / no active job. P:interval and P:T:Q:time stay (a later enqueue there rewrites them).
local function old_payload_fields(qtype, qid, jids)
  local fields = {}
  for i, jid in ipairs(jids) do fields[i] = qtype .. ':' .. qid .. ':' .. jid end
  return fields
end

local function old_forget(ko, qtype, qid, jids)
  if #jids > 0 then
    hdel_chunked(ko.payloads, old_payload_fields(qtype, qid, jids))
    hdel_chunked(ko.requeues, jids)
  end
  if redis.call('LLEN', ko.list) == 0 then redis.call('ZREM', ko.ready, qid) end
  if redis.call('ZCARD', ko.ready) == 0 then redis.call('SREM', ko.ready_types, qtype) end
  if redis.call('ZCARD', ko.active) == 0 then redis.call('SREM', ko.active_types, qtype) end
end
