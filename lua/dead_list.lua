-- dead_list: one page of a type's dead letters, newest first (read only).
--
-- KEYS[1] <tag>:dead_index
-- KEYS[2] <tag>:dead_jobs
-- ARGV[1] cursor: the sequence number the page starts below ('' for the newest)
-- ARGV[2] page size
--
-- Reply: {next_cursor ('' on the last page), member, entry, member, entry, ...}
-- Cost: O(log n + page size).

local index_key, jobs_key = KEYS[1], KEYS[2]
local limit = tonumber(ARGV[2])
local from = ARGV[1] == '' and '+inf' or '(' .. ARGV[1]

local page = redis.call('ZREVRANGEBYSCORE', index_key, from, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 1)
local reply = { '' }
local taken = math.min(#page / 2, limit)
for i = 1, taken do
  local member = page[2 * i - 1]
  local entry = redis.call('HGET', jobs_key, member)
  if entry then
    reply[#reply + 1] = member
    reply[#reply + 1] = entry
  end
end
if #page / 2 > limit then reply[1] = page[2 * limit] end
return reply
