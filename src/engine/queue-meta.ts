// A queue's meta as the scripts keep it in <tag>:queues (and <tag>:idle:<qid>): read here for every
// TypeScript view of it. Format (lua/include/common.lua, parse_meta):
//   "interval_ms|pinned|active|last_dequeue_us" or, with flow control, "...|max_active|max_pinned|paused"
// where paused is 0 (not paused), -1 (until resumed) or the end of a timed pause (us).

/** Whether something is paused at a given time, and until when (Redis time, ms; null: until resumed). */
export interface PauseState {
  paused: boolean;
  pausedUntilMs: number | null;
}

export interface QueueMeta extends PauseState {
  intervalMs: number;
  active: number;
  /** null: no limit. */
  maxActive: number | null;
}

/** A pause as the scripts store it (0: none, -1: until resumed, else its end in us) seen at nowMs. */
export function pausedAt(stored: number, nowMs: number): PauseState {
  if (stored === -1) return { paused: true, pausedUntilMs: null };
  const untilMs = Math.ceil(stored / 1000);
  return stored > 0 && untilMs > nowMs ? { paused: true, pausedUntilMs: untilMs } : { paused: false, pausedUntilMs: null };
}

export function parseQueueMeta(raw: string, nowMs: number): QueueMeta {
  const [interval = '0', , active = '0', , maxActive = '0', , paused = '0'] = raw.split('|');
  return {
    intervalMs: Number(interval),
    active: Number(active),
    maxActive: Number(maxActive) > 0 ? Number(maxActive) : null,
    ...pausedAt(Number(paused), nowMs),
  };
}
