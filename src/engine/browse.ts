// Paged, read-only views of one queue type's queues and of one queue's waiting jobs (SPEC 5.12).
// Every call does bounded work whatever the number of queues or jobs: queues are read with a few
// HSCAN steps of a fixed COUNT, jobs with one LRANGE of at most `limit` ids and one HMGET.
import { ValidationError } from '../errors.js';
import type { EngineCore } from './core.js';
import { parseJobRecord } from './job-record.js';
import { queueKeys, typeKeys } from './keys.js';
import { pipelineValues } from '../redis/pipeline.js';
import { redisTimeMs } from '../redis/time.js';
import { parseQueueMeta } from './queue-meta.js';
import { int, optionalText, texts } from './scripts/reply.js';
import * as valid from './validation.js';
/** HSCAN's COUNT: fixed, so a batch read again from the same cursor covers the same buckets. */
const SCAN_COUNT = 200;
/** HSCAN steps per request: a rare prefix yields a short page and a cursor, not a long call. */
const MAX_SCAN_CALLS = 10;

export interface QueueSummary {
  queue_id: string;
  queued: number;
  active: number;
  interval: number;
  /** Flow control (SPEC 5.14): null without a limit; paused_until_ms null when paused until resumed. */
  max_active: number | null;
  paused: boolean;
  paused_until_ms: number | null;
}

export interface QueuePage {
  queues: QueueSummary[];
  nextCursor: string | null;
}

export interface WaitingJob {
  job_id: string;
  payload: unknown;
  requeues_remaining: number;
  requeue_limit: number;
  cost: number;
  /** Deliveries so far (each followed by a retry) and the latest fail's error (SPEC 5.13). */
  attempts: number;
  last_error?: string;
}

export interface JobPage {
  jobs: WaitingJob[];
  total: number;
  /** The queue's interval: live, or kept by an idle record; null when neither exists. */
  intervalMs: number | null;
  /** Its dequeued, unfinished jobs. */
  active: number;
}

export function pageOffset(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ValidationError('offset', '`offset` has an invalid value: expected a non-negative integer');
  }
  return n;
}

/**
 * Where a page of queues starts. `scan` is an HSCAN cursor; when a batch of that cursor was only
 * partly handed out, `consumed` says up to which queue id (the batch is handed out in id order)
 * and `batchEnd` the cursor HSCAN answered for it, to notice a batch that changed shape since.
 */
interface QueueCursor {
  scan: string;
  batchEnd?: string;
  consumed?: string;
}

const MAX_SCAN_CURSOR = 2n ** 64n - 1n;
const CURSOR = /^(\d{1,20})(?:\.(\d{1,20})\.([A-Za-z0-9_-]{1,100}))?$/;

function parseCursor(value: string | undefined): QueueCursor {
  if (value === undefined || value === '') return { scan: '0' };
  const m = CURSOR.exec(value);
  // Redis takes cursors up to 2^64 - 1; a larger one would be a Redis error, not a 400.
  if (!m || BigInt(m[1] as string) > MAX_SCAN_CURSOR) throw new ValidationError('cursor', '`cursor` has an invalid value: pass back a next_cursor of an earlier page');
  return m[2] === undefined ? { scan: m[1] as string } : { scan: m[1] as string, batchEnd: m[2], consumed: m[3] };
}

/** Glob characters of HSCAN MATCH, escaped (identifiers have none today; this keeps it so). */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function parsePayload(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    // Written by something other than this server (a migration gone wrong): show it as text.
    return json;
  }
}

/** Paged reads of a type's queues and of a queue's waiting jobs (engine.browse). */
export class QueueBrowser {
  constructor(private readonly core: EngineCore) {}

  /**
   * One page of the queues of a type that hold queued or active jobs, optionally only those whose id
   * starts with `prefix`. A queue present during the whole paging shows up at least once (HSCAN's
   * guarantee); one that comes or goes meanwhile may or may not. A page may hold fewer than `limit`
   * queues and still have a next cursor (a rare prefix in a large type): keep paging until null.
   */
  async queuePage(queueType: unknown, options: { cursor?: string; limit?: string; prefix?: string } = {}): Promise<QueuePage> {
    const type = valid.identifier('queue_type', queueType);
    const limit = valid.pageLimit(options.limit);
    const prefix = options.prefix ?? '';
    if (prefix !== '' && !/^[A-Za-z0-9_-]{1,100}$/.test(prefix)) {
      throw new ValidationError('prefix', '`prefix` has an invalid value: expected up to 100 characters of A-Z a-z 0-9 _ -');
    }
    let at = parseCursor(options.cursor);
    const key = typeKeys(this.core.options.keyPrefix, type).queues;
    const page = new Map<string, string>();
    let nextCursor: string | null = null;

    for (let calls = 0; calls < MAX_SCAN_CALLS; calls++) {
      const [batchEnd, flat] = await this.core.redis.hscan(key, at.scan, 'MATCH', `${globLiteral(prefix)}*`, 'COUNT', SCAN_COUNT);
      const batch = new Map<string, string>();
      for (let i = 0; i + 1 < flat.length; i += 2) batch.set(flat[i] as string, flat[i + 1] as string);
      let ids = [...batch.keys()].sort();
      // Same end cursor: the same buckets, so what this page's predecessor handed out can be skipped.
      // Otherwise the batch is handed out whole again (a repeat is allowed, a loss is not).
      if (at.consumed !== undefined && at.batchEnd === batchEnd) {
        const consumed = at.consumed;
        ids = ids.filter((id) => id > consumed);
      }
      const room = limit - page.size;
      for (const id of ids.slice(0, room)) page.set(id, batch.get(id) as string);
      if (ids.length > room) {
        nextCursor = `${at.scan}.${batchEnd}.${ids[room - 1] as string}`;
        break;
      }
      if (batchEnd === '0') {
        nextCursor = null;
        break;
      }
      at = { scan: batchEnd };
      nextCursor = batchEnd;
      if (page.size >= limit) break;
    }

    const ids = [...page.keys()];
    const [lengths, nowMs] = await Promise.all([this.lengthsOf(type, ids), redisTimeMs(this.core.redis)]);
    const queues = ids.map((id, i) => {
      const meta = parseQueueMeta(page.get(id) as string, nowMs);
      return {
        queue_id: id,
        queued: lengths[i] ?? 0,
        active: meta.active,
        interval: meta.intervalMs,
        max_active: meta.maxActive,
        paused: meta.paused,
        paused_until_ms: meta.pausedUntilMs,
      };
    });
    return { queues, nextCursor };
  }

  private async lengthsOf(type: string, ids: string[]): Promise<number[]> {
    if (ids.length === 0) return [];
    // All keys of a type share a slot, so one pipeline serves a Redis Cluster too.
    const pipeline = this.core.redis.pipeline();
    for (const id of ids) pipeline.llen(queueKeys(this.core.options.keyPrefix, type, id).queue);
    return pipelineValues(await pipeline.exec()).map((length) => int('LLEN', length));
  }

  /**
   * The waiting jobs of a queue from `offset` (0 = next out), at most `limit`, and how many wait in all.
   * A job finished between the two reads is left out of the page.
   */
  async jobPage(queueType: unknown, queueId: unknown, options: { offset?: string; limit?: string } = {}): Promise<JobPage> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const offset = pageOffset(options.offset);
    const limit = valid.pageLimit(options.limit);
    const keys = queueKeys(this.core.options.keyPrefix, type, id);
    const queuesKey = typeKeys(this.core.options.keyPrefix, type).queues;
    // One slot (the type's hash tag), so one MULTI reads a consistent length, page and meta.
    const replies = pipelineValues(
      await this.core.redis
        .multi()
        .llen(keys.queue)
        .lrange(keys.queue, offset, offset + limit - 1)
        .hget(queuesKey, id)
        .get(keys.idle)
        .exec(),
    );
    const total = int('LLEN', replies[0]);
    const jobIds = texts('LRANGE', replies[1]);
    const liveMeta = optionalText('HGET', replies[2]);
    const idleMeta = optionalText('GET', replies[3]);
    const meta = liveMeta ?? idleMeta;
    const parsed = meta === null ? null : parseQueueMeta(meta, 0);
    const head = { total: Number(total), intervalMs: parsed?.intervalMs ?? null, active: liveMeta === null ? 0 : (parsed?.active ?? 0) };
    if (jobIds.length === 0) return { jobs: [], ...head };
    const records = await this.core.redis.hmget(keys.jobs, ...jobIds);
    const jobs: WaitingJob[] = [];
    jobIds.forEach((jobId, i) => {
      const raw = records[i];
      if (raw === null || raw === undefined) return;
      const record = parseJobRecord(raw);
      jobs.push({
        job_id: jobId,
        payload: parsePayload(record.payloadJson),
        requeues_remaining: record.requeuesRemaining,
        requeue_limit: record.requeueLimit,
        cost: record.cost,
        attempts: record.retries,
        ...(record.lastError === undefined ? {} : { last_error: record.lastError }),
      });
    });
    return { jobs, ...head };
  }
}
