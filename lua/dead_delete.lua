-- dead_delete: one bounded step of deleting a type's dead letters, oldest first.
--
-- KEYS[1] <tag>:dead_index
-- KEYS[2] <tag>:dead_jobs
-- ARGV[1] batch size
--
-- Reply: {deleted, more (1: call again)}
-- Cost: O(b log n) for b = batch size.

local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[1]))
if #popped == 0 then return { 0, 0 } end
local members = {}
for i = 1, #popped, 2 do members[#members + 1] = popped[i] end
redis.call('HDEL', KEYS[2], unpack(members))
return { #members, redis.call('ZCARD', KEYS[1]) > 0 and 1 or 0 }
