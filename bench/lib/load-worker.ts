// The load generator: autocannon in a worker thread, so its event loop never shares time with the
// bench's bookkeeping. Latencies are recorded per response in full resolution (autocannon's own
// histogram rounds to whole milliseconds).

import autocannon from 'autocannon';
import { HELLO_PAYLOAD } from './fixtures.js';
import { percentile, Samples } from './stats.js';
import type { LoadResult, LoadSpec, NextCycleProfile, Profile } from './load.js';
import { serveTasks } from './task-worker.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

// autocannon restarts a connection's request sequence when setupRequest returns a falsy value;
// its type declarations do not admit that, hence this one typed stand-in.
const RESTART_SEQUENCE = null as unknown as autocannon.Request;

interface CycleContext {
  /** The queue type of this cycle (one of profile.queueTypes when it spreads over several). */
  queueType?: string;
  queueId?: string;
  jobId?: string;
}

interface Counters {
  cycles: number;
  finishIndex: number;
  sequence: number;
}

function enqueueBody(jobId: string, intervalMs: number): string {
  return JSON.stringify({ job_id: jobId, interval: intervalMs, payload: HELLO_PAYLOAD });
}

function requestsFor(profile: Profile, counters: Counters): autocannon.Request[] {
  switch (profile.kind) {
    case 'static':
      return [{ method: 'GET', path: profile.path }];
    case 'enqueue':
      return [
        {
          method: 'POST',
          headers: JSON_HEADERS,
          setupRequest: (req) => {
            const n = counters.sequence++;
            return { ...req, path: `/enqueue/${profile.queueType}/q${n % profile.queues}/`, body: enqueueBody(`${profile.idPrefix}-${n}`, profile.intervalMs) };
          },
        },
      ];
    case 'finish':
      return [
        {
          method: 'POST',
          setupRequest: (req) => {
            // Past the prepared jobs (only if run without amount) the finish of an unknown job: a 404.
            const [queueId, jobId] = profile.jobs[counters.finishIndex++] ?? ['none', 'none'];
            return { ...req, path: `/finish/${profile.queueType}/${queueId}/${jobId}/` };
          },
        },
      ];
    case 'fail-cycle':
      return failCycle(profile, counters);
    case 'next-cycle':
      return nextCycle(profile, counters);
    case 'cycle':
      return [
        {
          method: 'POST',
          headers: JSON_HEADERS,
          setupRequest: (req, context) => {
            const n = counters.sequence++;
            const ctx = context as CycleContext;
            const types = profile.queueTypes ?? 1;
            ctx.queueType = types > 1 ? `${profile.queueType}${n % types}` : profile.queueType;
            return { ...req, path: `/enqueue/${ctx.queueType}/q${n % profile.queues}/`, body: enqueueBody(`${profile.idPrefix}-${n}`, 0) };
          },
        },
        {
          method: 'GET',
          setupRequest: (req, context) => ({ ...req, path: `/dequeue/${(context as CycleContext).queueType ?? profile.queueType}/` }),
          onResponse: (status, body, context) => {
            if (status !== 200) return;
            const reply = JSON.parse(body) as { queue_id?: unknown; job_id?: unknown };
            const ctx = context as CycleContext;
            if (typeof reply.queue_id === 'string' && typeof reply.job_id === 'string') {
              ctx.queueId = reply.queue_id;
              ctx.jobId = reply.job_id;
            }
          },
        },
        {
          method: 'POST',
          setupRequest: (req, context) => {
            const ctx = context as CycleContext;
            if (ctx.queueId === undefined || ctx.jobId === undefined) return RESTART_SEQUENCE;
            return { ...req, path: `/finish/${ctx.queueType ?? profile.queueType}/${ctx.queueId}/${ctx.jobId}/` };
          },
          onResponse: (status) => {
            if (status === 200) counters.cycles += 1;
          },
        },
      ];
  }
}

/** Keeps the job of a dequeue reply (or of finish-and-next's `next`) in the connection's context; none clears it. */
function holdJob(context: unknown, reply: { queue_id?: unknown; job_id?: unknown } | null | undefined): void {
  const ctx = context as CycleContext;
  ctx.queueId = undefined;
  ctx.jobId = undefined;
  if (typeof reply?.queue_id === 'string' && typeof reply.job_id === 'string') {
    ctx.queueId = reply.queue_id;
    ctx.jobId = reply.job_id;
  }
}

/** GET /dequeue/ that keeps the job it got in the connection's context. */
function dequeueInto(queueType: string): autocannon.Request {
  return {
    method: 'GET',
    setupRequest: (req) => ({ ...req, path: `/dequeue/${queueType}/` }),
    onResponse: (status, body, context) => {
      holdJob(context, status === 200 ? (JSON.parse(body) as { queue_id?: unknown; job_id?: unknown }) : undefined);
    },
  };
}

/** POST /<verb>/ of the job the connection's last dequeue got; restarts the sequence when it got none. */
function actOnDequeued(verb: 'fail' | 'finish', queueType: string, body: string | undefined, done?: () => void): autocannon.Request {
  return {
    method: 'POST',
    ...(body === undefined ? {} : { headers: JSON_HEADERS }),
    setupRequest: (req, context) => {
      const ctx = context as CycleContext;
      if (ctx.queueId === undefined || ctx.jobId === undefined) return RESTART_SEQUENCE;
      return { ...req, path: `/${verb}/${queueType}/${ctx.queueId}/${ctx.jobId}/`, ...(body === undefined ? {} : { body }) };
    },
    onResponse: (status) => {
      if (status === 200) done?.();
    },
  };
}

const RETRY_NOW = JSON.stringify({ error: 'bench: fails once', retry_in_ms: 0 });

function failCycle(profile: Extract<Profile, { kind: 'fail-cycle' }>, counters: Counters): autocannon.Request[] {
  return [
    {
      method: 'POST',
      headers: JSON_HEADERS,
      setupRequest: (req) => {
        const n = counters.sequence++;
        return { ...req, path: `/enqueue/${profile.queueType}/q${n % profile.queues}/`, body: enqueueBody(`${profile.idPrefix}-${n}`, 0) };
      },
    },
    dequeueInto(profile.queueType),
    actOnDequeued('fail', profile.queueType, RETRY_NOW),
    dequeueInto(profile.queueType),
    actOnDequeued('finish', profile.queueType, undefined, () => {
      counters.cycles += 1;
    }),
  ];
}

/**
 * autocannon clears a connection's context when its sequence of requests starts over, so a job held
 * across that point would be lost (left active until it expires): a sequence chains this many jobs,
 * then finishes the one it holds without asking for the next. The first take of a sequence, and any
 * after a finish that found nothing next, is a plain dequeue: a worker's steady state, 1 in 50 jobs off it.
 */
const JOBS_PER_CHAIN = 50;

function nextCycle(profile: NextCycleProfile, counters: Counters): autocannon.Request[] {
  const enqueue: autocannon.Request = {
    method: 'POST',
    headers: JSON_HEADERS,
    setupRequest: (req) => {
      const n = counters.sequence++;
      return { ...req, path: `/enqueue/${profile.queueType}/q${n % profile.queues}/`, body: enqueueBody(`${profile.idPrefix}-${n}`, 0) };
    },
  };
  const take = (last: boolean): autocannon.Request => ({
    method: 'POST',
    setupRequest: (req, context) => {
      const ctx = context as CycleContext;
      if (ctx.queueId === undefined || ctx.jobId === undefined) return last ? RESTART_SEQUENCE : { ...req, method: 'GET', path: `/dequeue/${profile.queueType}/` };
      return { ...req, method: 'POST', path: `/finish/${profile.queueType}/${ctx.queueId}/${ctx.jobId}/${last ? '' : '?next=1'}` };
    },
    onResponse: (status, body, context) => {
      const finished = (context as CycleContext).queueId !== undefined;
      if (finished && status === 200) counters.cycles += 1;
      if (status !== 200 || last) {
        holdJob(context, undefined);
        return;
      }
      type Reply = { queue_id?: unknown; job_id?: unknown; next?: { queue_id?: unknown; job_id?: unknown } | null };
      const reply = JSON.parse(body) as Reply;
      holdJob(context, finished ? reply.next : reply);
    },
  });
  return Array.from({ length: JOBS_PER_CHAIN }, (_, i) => [enqueue, take(i === JOBS_PER_CHAIN - 1)]).flat();
}

function runOnce(
  spec: LoadSpec,
  durationSec: number,
  amount: number | undefined,
  counters: Counters,
  latencies: Samples | undefined,
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const statuses: Record<string, number> = {};
    let started = process.hrtime.bigint();
    const cyclesBefore = counters.cycles;
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: durationSec,
        amount,
        timeout: 10,
        // autocannon checks for the end of a run once per sample: keep short runs short.
        sampleInt: 100,
        requests: requestsFor(spec.profile, counters),
      },
      (err, result) => {
        if (err !== null && err !== undefined) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        const elapsedSec = Number(process.hrtime.bigint() - started) / 1e9;
        const sorted = latencies?.sorted() ?? new Float64Array(0);
        const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
        resolve({
          requests,
          elapsedSec,
          rps: requests / elapsedSec,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
          cycles: counters.cycles - cyclesBefore,
        });
      },
    );
    instance.on('start', () => {
      started = process.hrtime.bigint();
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      const key = String(statusCode);
      statuses[key] = (statuses[key] ?? 0) + 1;
      latencies?.push(responseTime);
    });
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const counters: Counters = { cycles: 0, finishIndex: 0, sequence: 0 };
  if (spec.warmupSec > 0 && spec.profile.kind !== 'finish') await runOnce(spec, spec.warmupSec, undefined, counters, undefined);
  return runOnce(spec, spec.durationSec, spec.amount, counters, new Samples());
}

serveTasks(run);
