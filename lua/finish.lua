-- finish: acknowledge an active (dequeued, unfinished) job and forget it.
--
-- KEYS[1] <tag>:active
-- KEYS[2] <tag>:queues
-- KEYS[3] <tag>:queue:<qid>   (read: is the queue now idle?)
-- KEYS[4] <tag>:jobs:<qid>
-- KEYS[5] <tag>:idle:<qid>    (written when the queue goes idle)
-- <tag>:delayed_counts is derived from KEYS[1] (read: delayed jobs keep the queue live).
-- ARGV[1] queue_id
-- ARGV[2] job_id
-- ARGV[3] idle TTL (ms): how long an idle queue's record is kept
--
-- Reply: 1 finished; 0 the job is not active (unknown, finished, or expired and requeued).
-- Cost: O(log n) in active jobs of the type (ZREM), the rest O(1).

-- @include common
-- @include lifecycle
-- @include jobs

local active_key = KEYS[1]
return finish_job(tag_of(active_key, ':active'), active_key, KEYS[2], ARGV[1], ARGV[2], now_us(), tonumber(ARGV[3]))
