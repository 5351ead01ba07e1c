// `migrate --follow`: keeps moving what producers still write in the old layout, until stopped. One
// follower per deployment moves; others wait on the same Redis lock as the requeue leader's kind.
import type { Redis } from 'ioredis';
import type { RedisClient } from '../redis/client.js';
import { LeaderLock, newHolderId } from '../engine/leader-lock.js';
import { discover, isValidName, oldTypesFromSets } from './discover.js';
import type { QueueMover } from './mover.js';
import { oldQueueKeys } from '../engine/python-keys.js';
import { runPass, type PassWork } from './pass.js';
import type { StopSignal } from './stop.js';

export interface FollowOptions {
  oldPrefix: string;
  newPrefix: string;
  lockKey: string;
  /** Lock TTL: a dead follower is replaced within about this long. */
  lockTtlMs: number;
  /** Pause between passes; with the pass itself, bounds how long a job written in the old layout waits. */
  pollMs: number;
  /** A full SCAN this often, for queues whose type is missing from the old type sets. */
  rescanMs: number;
  log: (line: string) => void;
}

/** Ready queues read per type and pass; the rest come next pass. */
const QUEUES_PER_TYPE_PER_PASS = 10_000;

/** The cheap view of what waits in the old layout: the type sets, each type's ready and active sets. */
async function pendingWork(source: Redis, prefix: string): Promise<PassWork> {
  const queues = new Map<string, string[]>();
  const activeTypes: string[] = [];
  for (const queueType of (await oldTypesFromSets(source, prefix)).filter(isValidName)) {
    const k = oldQueueKeys(prefix, queueType, '_');
    const [ready, active] = await Promise.all([
      source.zrange(k.ready, '0', String(QUEUES_PER_TYPE_PER_PASS - 1)),
      source.zcard(k.active),
    ]);
    const ids = ready.filter(isValidName);
    if (ids.length > 0) queues.set(queueType, ids);
    if (active > 0) activeTypes.push(queueType);
  }
  return { queues, activeTypes };
}

export async function follow(source: Redis, target: RedisClient, mover: QueueMover, stop: StopSignal, o: FollowOptions): Promise<void> {
  const lock = new LeaderLock(target, o.lockKey, newHolderId(), o.lockTtlMs);
  let holding = false;
  let waitingLogged = false;
  let lastError = '';
  let lastScanMs = 0;

  // Renewal runs beside the passes, at a third of the TTL; a lost lock stops the current pass between steps.
  const renewTimer = setInterval(() => {
    if (!holding) return;
    lock.renew().then(
      (held) => {
        if (!held && holding) o.log('lost the follower lock; waiting to take it again');
        holding = holding && held;
      },
      () => {
        holding = false;
      },
    );
  }, Math.floor(o.lockTtlMs / 3));

  try {
    while (!stop.requested) {
      try {
        if (!holding) {
          holding = await lock.acquire();
          if (!holding) {
            if (!waitingLogged) o.log(`another follower holds ${o.lockKey} (${(await target.get(o.lockKey)) ?? 'expired'}); waiting`);
            waitingLogged = true;
            await stop.sleep(Math.floor(o.lockTtlMs / 3));
            continue;
          }
          o.log(`following ${o.oldPrefix}: moving what is written in the old layout until SIGTERM`);
          waitingLogged = false;
        }
        const fullScan = Date.now() - lastScanMs >= o.rescanMs;
        let work: PassWork;
        if (fullScan) {
          const found = await discover(source, o.oldPrefix);
          work = { queues: found.queues, activeTypes: found.activeJobs.keys() };
          lastScanMs = Date.now();
        } else {
          work = await pendingWork(source, o.oldPrefix);
        }
        await runPass(mover, target, o.newPrefix, work, () => stop.requested || !holding);
        lastError = '';
        await stop.sleep(o.pollMs);
      } catch (error) {
        const message = (error as Error).message;
        if (message !== lastError) o.log(`follow pass failed, retrying: ${message}`);
        lastError = message;
        await stop.sleep(1000);
      }
    }
  } finally {
    clearInterval(renewTimer);
    if (holding) await lock.release().catch(() => false);
  }
}
