-- migrate_step: move up to a bounded number of jobs of one queue from the Python SharQ's layout into this
-- server's, atomically (a job is in one layout or the other, never both, never neither).
-- The old keys carry no hash tag: this script runs only when old and new data share one non-cluster
-- Redis (the CLI refuses a cluster target). Old layout: see lua/include/migrate_old.lua.
--
-- KEYS[1] P:T:Q                      old queue's job ids (LIST)
-- KEYS[2] P:payload                  old payloads (HASH "T:Q:J" -> msgpack)
-- KEYS[3] P:interval                 old intervals (HASH "T:Q" -> ms)
-- KEYS[4] P:T:Q:requeues_remaining   old requeues remaining (HASH J -> n)
-- KEYS[5] P:T                        old ready queues (ZSET)
-- KEYS[6] P:T:active                 old active jobs (ZSET "Q:J" -> expiry ms)
-- KEYS[7] P:T:Q:time                 old last dequeue (ms)
-- KEYS[8] P:ready:queue_type         old type set
-- KEYS[9] P:active:queue_type        old type set
-- KEYS[10] <tag>:ready
-- KEYS[11] <tag>:queues
-- KEYS[12] <tag>:totals
-- KEYS[13] <tag>:queue:<qid>
-- KEYS[14] <tag>:jobs:<qid>
-- KEYS[15] <tag>:idle:<qid>
-- ARGV[1] 'queued' (the head of P:T:Q, FIFO) or 'active' (members of P:T:active, latest expiry first)
-- ARGV[2] queue type   ARGV[3] queue id   ARGV[4] requeue limit for a job without one in the old layout
-- ARGV[5] n, then n triples: job id, SHA1 of the raw payload as read ('' if none), payload as JSON text
--
-- Reply: {'ok', moved, duplicates, missing, gone}
--   duplicates: job ids already queued or active in the new layout (removed from the old, as an enqueue
--   would refuse them); missing: job ids without a payload (removed, not moved); gone: active jobs finished
--   since they were read.
--        {'stale'} when the old queue's head or a payload changed since it was read (nothing changes).
-- Cost: O(n) plus O(log) per ready-set update.

-- @include common
-- @include migrate_bulk
-- @include migrate_new
-- @include migrate_old

local ko = { list = KEYS[1], payloads = KEYS[2], intervals = KEYS[3], requeues = KEYS[4], ready = KEYS[5],
  active = KEYS[6], time = KEYS[7], ready_types = KEYS[8], active_types = KEYS[9] }
local k = { ready = KEYS[10], queues = KEYS[11], totals = KEYS[12], queue = KEYS[13], jobs = KEYS[14], idle = KEYS[15] }
local mode, qtype, qid, default_limit, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])

local jids, sha1s, payloads = {}, {}, {}
for i = 1, n do
  jids[i], sha1s[i], payloads[i] = ARGV[3 + 3 * i], ARGV[4 + 3 * i], ARGV[5 + 3 * i]
end

-- Check everything before changing anything (the pops below are undone when they find another head).
local present = {}
local gone = 0
local raws = hmget_chunked(ko.payloads, old_payload_fields(qtype, qid, jids))
for i = 1, n do
  present[i] = mode == 'queued' or redis.call('ZSCORE', ko.active, qid .. ':' .. jids[i]) ~= false
  if not present[i] then
    gone = gone + 1
  elseif (raws[i] and redis.sha1hex(raws[i]) or '') ~= sha1s[i] then
    return { 'stale' }
  end
end
if mode == 'queued' then
  -- The head must be exactly the ids read; popped one by one (O(1) each), pushed back if it is not.
  for i = 1, n do
    local head = redis.call('LPOP', ko.list)
    if head ~= jids[i] then
      if head then redis.call('LPUSH', ko.list, head) end
      for j = i - 1, 1, -1 do redis.call('LPUSH', ko.list, jids[j]) end
      return { 'stale' }
    end
  end
end

local now = now_us()
local interval_ms = old_interval_ms(ko, qtype, qid)
local last_us = old_last_us(ko, qid, interval_ms)
local requeues = hmget_chunked(ko.requeues, jids)
local jobs, missing = {}, 0
for i = 1, n do
  if present[i] then
    if sha1s[i] == '' then
      missing = missing + 1
    else
      jobs[#jobs + 1] = { id = jids[i], remaining = tonumber(requeues[i]) or default_limit, payload = payloads[i] }
    end
  end
end

if mode == 'active' then
  for i = 1, n do
    if present[i] then redis.call('ZREM', ko.active, qid .. ':' .. jids[i]) end
  end
end
old_forget(ko, qtype, qid, jids)

local fresh = migrate_fresh_jobs(k.jobs, jobs)
local moved = migrate_put(k, qid, interval_ms, last_us, mode == 'active', fresh, now)
return { 'ok', moved, #jobs - #fresh, missing, gone }
