-- promote: one bounded batch of moving due delayed jobs to the tail of their queues (run by the
-- requeue leader's promoter on a timer set to the earliest due time; enqueue and dequeue also
-- promote a few themselves, so precision never depends on this timer).
--
-- KEYS[1] <tag>:delayed
-- Every other key (<tag>:ready, :queues, :totals, :delayed_counts, each job's <tag>:queue:<qid>,
-- <tag>:jobs:<qid>, <tag>:idle:<qid>, <tag>:limits for next_due) is derived from KEYS[1] (same hash tag).
-- ARGV[1] batch size
--
-- Reply: {promoted, more (1: the batch was full, call again), next_due_us (-1: none), now_us}
-- Cost: O(log d + b) for b = batch size, d = delayed jobs of the type.

-- @include common
-- @include lifecycle
-- @include flow

local tag = tag_of(KEYS[1], ':delayed')
local now = now_us()
-- Always a peek: this timer also repairs next_due (delayed jobs parked by an earlier version have none).
local promoted, more = promote_due(tag, now, tonumber(ARGV[1]), true)
return { promoted, more and 1 or 0, next_due_us(tag) or -1, now }
