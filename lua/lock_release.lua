-- lock_release: delete the leader lock, but only if this process holds it.
--
-- KEYS[1] <key_prefix>:leader
-- ARGV[1] holder id of the caller
--
-- Reply: 1 released; 0 not held by the caller.
-- Cost: O(1).

if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
