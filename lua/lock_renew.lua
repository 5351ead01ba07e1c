-- lock_renew: extend the leader lock's TTL, but only while this process still holds it.
--
-- KEYS[1] <key_prefix>:leader
-- ARGV[1] holder id of the caller
-- ARGV[2] new TTL (ms)
--
-- Reply: 1 renewed; 0 the lock is held by another process or has expired.
-- Cost: O(1).

if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
