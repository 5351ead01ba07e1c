// Key names of the Python SharQ's layout (P = its key_prefix, T = queue type, Q = queue id, J = job id).
// Nothing in them carries a hash tag: the Python SharQ runs on one non-cluster Redis.

export interface OldQueueKeys {
  /** P:T:Q, LIST of job ids, FIFO. */
  list: string;
  /** P:payload, HASH "T:Q:J" -> msgpack payload. */
  payloads: string;
  /** P:interval, HASH "T:Q" -> interval (ms). */
  intervals: string;
  /** P:T:Q:requeues_remaining, HASH J -> requeues remaining. */
  requeues: string;
  /** P:T, ZSET of ready queues, score = next dequeue time (ms). */
  ready: string;
  /** P:T:active, ZSET "Q:J" -> expiry (ms). */
  active: string;
  /** P:T:Q:time, last dequeue (ms). */
  time: string;
  /** P:ready:queue_type and P:active:queue_type, SETs of types. */
  readyTypes: string;
  activeTypes: string;
}

export function oldQueueKeys(prefix: string, queueType: string, queueId: string): OldQueueKeys {
  const queue = `${prefix}:${queueType}:${queueId}`;
  return {
    list: queue,
    payloads: `${prefix}:payload`,
    intervals: `${prefix}:interval`,
    requeues: `${queue}:requeues_remaining`,
    ready: `${prefix}:${queueType}`,
    active: `${prefix}:${queueType}:active`,
    time: `${queue}:time`,
    readyTypes: `${prefix}:ready:queue_type`,
    activeTypes: `${prefix}:active:queue_type`,
  };
}

/** In the order the migrate_*.lua scripts declare them. */
export function oldKeyList(k: OldQueueKeys): string[] {
  return [k.list, k.payloads, k.intervals, k.requeues, k.ready, k.active, k.time, k.readyTypes, k.activeTypes];
}

export function payloadField(queueType: string, queueId: string, jobId: string): string {
  return `${queueType}:${queueId}:${jobId}`;
}

/** SCAN MATCH pattern of every key under the prefix (glob characters in the prefix escaped). */
export function oldKeyPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`;
}

/** Type and queue id of a key that may be a queue's job list (P:T:Q); undefined for any other shape. */
export function parseQueueListKey(prefix: string, key: string): { queueType: string; queueId: string } | undefined {
  if (!key.startsWith(`${prefix}:`)) return undefined;
  const parts = key.slice(prefix.length + 1).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { queueType: parts[0], queueId: parts[1] };
}
