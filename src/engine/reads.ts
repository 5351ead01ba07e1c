// Read-only views of the engine's state: the JSON metrics of the original API and the gauges that
// Prometheus reads at scrape time. Each type is read with one pipeline (its keys share a slot).
import type { QueueEngine } from './engine.js';
import { queueKeys, statsKey, typeKeys } from './keys.js';
import * as valid from './validation.js';
import { deadLetterJson, listDeadLetters } from './dead-letters.js';

/** Count per minute, keyed by the minute's epoch in ms (as the original returns them). */
export type CountsByMinute = Record<string, number>;

export interface CountSeries {
  enqueueCounts: CountsByMinute;
  dequeueCounts: CountsByMinute;
}

const MINUTES = 10;

async function lastMinutes(engine: QueueEngine): Promise<number[]> {
  const current = Math.floor((await engine.redisTimeMs()) / 60_000) * 60_000;
  return Array.from({ length: MINUTES }, (_, i) => current - (MINUTES - 1 - i) * 60_000);
}

/** Reads the enq/deq counters named by the two fields for each minute. */
async function readCounts(
  engine: QueueEngine,
  queueType: string,
  minutes: number[],
  enqField: string,
  deqField: string,
): Promise<CountSeries> {
  const pipeline = engine.redis.pipeline();
  for (const minute of minutes) pipeline.hmget(statsKey(engine.options.keyPrefix, queueType, minute), enqField, deqField);
  const replies = (await pipeline.exec()) ?? [];
  const series: CountSeries = { enqueueCounts: {}, dequeueCounts: {} };
  minutes.forEach((minute, i) => {
    const [error, values] = replies[i] ?? [null, null];
    if (error) throw error;
    const [enq, deq] = (values as (string | null)[] | null) ?? [null, null];
    series.enqueueCounts[String(minute)] = Number(enq ?? 0);
    series.dequeueCounts[String(minute)] = Number(deq ?? 0);
  });
  return series;
}

export async function globalMetrics(engine: QueueEngine): Promise<CountSeries & { queueTypes: string[] }> {
  const [queueTypes, minutes] = await Promise.all([engine.queueTypes(), lastMinutes(engine)]);
  const perType = await Promise.all(queueTypes.map((type) => readCounts(engine, type, minutes, 'enq', 'deq')));
  const total: CountSeries = { enqueueCounts: {}, dequeueCounts: {} };
  for (const minute of minutes.map(String)) {
    total.enqueueCounts[minute] = perType.reduce((sum, s) => sum + (s.enqueueCounts[minute] ?? 0), 0);
    total.dequeueCounts[minute] = perType.reduce((sum, s) => sum + (s.dequeueCounts[minute] ?? 0), 0);
  }
  return { queueTypes, ...total };
}

/** Queues of the type that hold queued or active jobs, read in bounded HSCAN steps. */
export async function queueIds(engine: QueueEngine, queueType: string): Promise<string[]> {
  const key = typeKeys(engine.options.keyPrefix, valid.identifier('queue_type', queueType)).queues;
  const ids: string[] = [];
  let cursor = '0';
  do {
    const [next, fields] = await engine.redis.hscan(key, cursor, 'COUNT', 1000);
    for (let i = 0; i < fields.length; i += 2) ids.push(fields[i] as string);
    cursor = next;
  } while (cursor !== '0');
  return ids.sort();
}

export async function queueMetrics(
  engine: QueueEngine,
  queueType: string,
  queueId: string,
): Promise<CountSeries & { queueLength: number }> {
  const type = valid.identifier('queue_type', queueType);
  const id = valid.identifier('queue_id', queueId);
  const [queueLength, series] = await Promise.all([
    engine.redis.llen(queueKeys(engine.options.keyPrefix, type, id).jobIds),
    lastMinutes(engine).then((minutes) => readCounts(engine, type, minutes, `enq:${id}`, `deq:${id}`)),
  ]);
  return { queueLength, ...series };
}

export interface TypeGauges {
  /** Jobs waiting in the type's queues. */
  queued: number;
  /** Jobs dequeued and not yet finished. */
  active: number;
  /** Queues whose next job may be dequeued now. */
  readyQueues: number;
  /** Queues with queued, active or delayed jobs. */
  queues: number;
  /** Jobs waiting for their delay_ms to pass. */
  delayed: number;
  /** Discarded jobs kept in the dead letters. */
  deadLetters: number;
}

export async function typeGauges(engine: QueueEngine, queueType: string): Promise<TypeGauges> {
  const t = typeKeys(engine.options.keyPrefix, queueType);
  const nowUs = (await engine.redisTimeMs()) * 1000;
  const replies =
    (await engine.redis
      .pipeline()
      .hget(t.totals, 'queued')
      .zcard(t.active)
      .zcount(t.ready, '-inf', nowUs)
      .hlen(t.queues)
      .zcard(t.delayed)
      .zcard(t.deadIndex)
      .exec()) ?? [];
  const numbers = replies.map(([error, value]) => {
    if (error) throw error;
    return Number(value ?? 0);
  });
  const [queued = 0, active = 0, readyQueues = 0, queues = 0, delayed = 0, deadLetters = 0] = numbers;
  return { queued, active, readyQueues, queues, delayed, deadLetters };
}

/** Newest discarded jobs of a type, as the JSON objects of GET /dead/<queue_type>/. */
export async function deadLetters(engine: QueueEngine, queueType: string, limit: number): Promise<unknown[]> {
  const { jobs } = await listDeadLetters(engine, queueType, limit);
  return jobs.map((job) => JSON.parse(deadLetterJson(job)) as unknown);
}
