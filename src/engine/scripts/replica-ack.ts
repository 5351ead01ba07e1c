// Acknowledged means replicated (SPEC 5.9): a state-changing script is followed by WAIT on the same
// connection, and the change is answered only once enough replicas confirmed it.
import { RedisUnavailableError } from '../../errors.js';
import type { RedisClient } from '../../redis/client.js';
import { hashTag } from '../../redis/key-slot.js';

export interface ReplicaAck {
  /** Replicas that must confirm each change ([redis] min_replicas_ack); 0: no WAIT. */
  replicas: number;
  /** How long WAIT waits for them ([redis] replica_ack_timeout). */
  timeoutMs: number;
}

/**
 * Every script of lua/ but the leader lock's changes jobs and is followed by WAIT; so a script added
 * later is covered by default (a lost lock renewal only costs a leadership change).
 */
export function changesJobs(script: string): boolean {
  return !script.startsWith('lock_') && !READ_ONLY_SCRIPTS.has(script);
}

/** Scripts that only read: nothing of theirs needs a replica's confirmation. */
const READ_ONLY_SCRIPTS = new Set(['job_status', 'dead_list']);

/** Fewer replicas than required confirmed a change within the timeout: the client gets 503. */
export class ReplicaAckError extends RedisUnavailableError {
  constructor(confirmed: number, ack: ReplicaAck) {
    super(
      `only ${confirmed} of ${ack.replicas} Redis replicas confirmed the change within ${ack.timeoutMs} ms: ` +
        'it may be lost if Redis fails over now; retrying is safe (a retried enqueue is a duplicate)',
    );
    this.name = 'ReplicaAckError';
  }
}

/**
 * Waits until `ack.replicas` replicas have every write sent so far on the connection that serves
 * `slotKey`. WAIT counts per connection; ioredis has one connection per node and sends a pipeline to
 * the node owning its first key's slot, so EXISTS routes the WAIT to the connection (and Cluster node)
 * that just ran the script. Call it after the script has answered.
 *
 * WAIT blocks its connection, so the callers whose scripts answered in the same turn of the event
 * loop share one: a WAIT sent after a script's reply arrived covers that script (a connection keeps
 * its order), and under load one WAIT covers a whole pipeline of replies instead of one each.
 */
export function waitForReplicas(redis: RedisClient, slotKey: string, ack: ReplicaAck): Promise<void> {
  let pending = pendingWaits.get(redis);
  if (!pending) pendingWaits.set(redis, (pending = new Map()));
  const group = redis.isCluster ? hashTag(slotKey) : '';
  let shared = pending.get(group);
  if (!shared) {
    const waits = pending;
    shared = Promise.resolve().then(() => {
      waits.delete(group);
      return sendWait(redis, slotKey, ack);
    });
    pending.set(group, shared);
  }
  return shared;
}

/** WAITs scheduled but not sent yet, per connection and per hash slot group (one group without a Cluster). */
const pendingWaits = new WeakMap<RedisClient, Map<string, Promise<void>>>();

async function sendWait(redis: RedisClient, slotKey: string, ack: ReplicaAck): Promise<void> {
  const results = await redis.pipeline().exists(slotKey).wait(ack.replicas, ack.timeoutMs).exec();
  const [, [waitError, confirmed] = [null, 0]] = results ?? [];
  if (waitError) throw waitError;
  if (typeof confirmed !== 'number' || confirmed < ack.replicas) throw new ReplicaAckError(Number(confirmed), ack);
}
