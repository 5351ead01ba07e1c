-- migrate_remove: second phase of a two-phase migration step, on the Python SharQ's Redis: delete the jobs
-- the first phase (migrate_write.lua) wrote into the new layout. Idempotent: ids already gone are skipped.
-- The old keys carry no hash tag (the Python SharQ runs on one non-cluster Redis).
--
-- KEYS[1] P:T:Q
-- KEYS[2] P:payload
-- KEYS[3] P:interval
-- KEYS[4] P:T:Q:requeues_remaining
-- KEYS[5] P:T
-- KEYS[6] P:T:active
-- KEYS[7] P:T:Q:time
-- KEYS[8] P:ready:queue_type
-- KEYS[9] P:active:queue_type
-- ARGV[1] 'queued' or 'active'   ARGV[2] queue type   ARGV[3] queue id   ARGV[4]... job ids
--
-- Reply: the number of job ids found and removed.
-- Cost: O(n) for ids at the head of the list (LREM scans from the head), O(n log) for active ones.

-- @include migrate_bulk
-- @include migrate_old

local ko = { list = KEYS[1], payloads = KEYS[2], intervals = KEYS[3], requeues = KEYS[4], ready = KEYS[5],
  active = KEYS[6], time = KEYS[7], ready_types = KEYS[8], active_types = KEYS[9] }
local mode, qtype, qid = ARGV[1], ARGV[2], ARGV[3]

local jids, removed = {}, 0
for i = 4, #ARGV do
  local jid = ARGV[i]
  jids[#jids + 1] = jid
  if mode == 'queued' then
    removed = removed + redis.call('LREM', ko.list, 1, jid)
  else
    removed = removed + redis.call('ZREM', ko.active, qid .. ':' .. jid)
  end
end
old_forget(ko, qtype, qid, jids)
return removed
