-- migrate_write: first phase of a two-phase migration step from a Python SharQ on another Redis: write a
-- batch of one queue's jobs into this server's layout together with a journal naming them, in one slot.
-- The second phase (migrate_remove.lua on the source) deletes them there; then the journal is deleted.
-- A journal left by a crash means "these ids are here already: remove them from the source, move nothing
-- twice"; this script refuses to write while it exists.
--
-- KEYS[1] <tag>:ready
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:totals
-- KEYS[4] <tag>:queue:<qid>
-- KEYS[5] <tag>:jobs:<qid>
-- KEYS[6] <tag>:idle:<qid>
-- KEYS[7] <tag>:migrating:<qid>   the journal: "<mode>\n<job id>\n<job id>..."
-- ARGV[1] 'queued' (append in order) or 'active' (to the front, given latest expiry first)
-- ARGV[2] queue id   ARGV[3] the queue's interval (ms)   ARGV[4] its last dequeue in the old layout (us)
-- ARGV[5] n, then n triples: job id, requeues remaining, payload as JSON text
-- ARGV[6 + 3n]... job ids to remove from the source without moving them (no payload there)
--
-- Reply: {'ok', moved, duplicates} or {'pending'} when a journal of an unfinished step exists.
-- Cost: O(n) plus O(log) per ready-set update.

-- @include common
-- @include migrate_bulk
-- @include migrate_new

local k = { ready = KEYS[1], queues = KEYS[2], totals = KEYS[3], queue = KEYS[4], jobs = KEYS[5], idle = KEYS[6] }
local journal_key = KEYS[7]
local mode, qid = ARGV[1], ARGV[2]
local interval_ms, last_us, n = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])

if redis.call('EXISTS', journal_key) == 1 then return { 'pending' } end

local jobs, journal = {}, { mode }
for i = 1, n do
  jobs[i] = { id = ARGV[3 + 3 * i], remaining = tonumber(ARGV[4 + 3 * i]), payload = ARGV[5 + 3 * i] }
  journal[#journal + 1] = jobs[i].id
end
for i = 6 + 3 * n, #ARGV do journal[#journal + 1] = ARGV[i] end

local fresh = migrate_fresh_jobs(k.jobs, jobs)
local moved = migrate_put(k, qid, interval_ms, last_us, mode == 'active', fresh, now_us())
redis.call('SET', journal_key, table.concat(journal, '\n'))
return { 'ok', moved, n - #fresh }
