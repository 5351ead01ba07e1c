// Read-only views of the engine's state: the JSON metrics of the original API and the gauges that
// Prometheus reads at scrape time. Each type is read with one pipeline (its keys share a slot).
import type { RedisClient } from '../redis/client.js';
import { redisTimeMs } from '../redis/time.js';
import type { EngineCore } from './core.js';
import { queueKeys, statsKey, typeKeys } from './keys.js';
import { pipelineValues } from '../redis/pipeline.js';
import { list, optionalText } from './scripts/reply.js';
import * as valid from './validation.js';

/** Count per minute, keyed by the minute's epoch in ms (as the original returns them). */
export type CountsByMinute = Record<string, number>;

export interface CountSeries {
  enqueueCounts: CountsByMinute;
  dequeueCounts: CountsByMinute;
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
  /** Queues paused now (a fail's hold included). */
  pausedQueues: number;
  /** 1 while the whole type is paused, else 0. */
  typePaused: number;
}

const MINUTES = 10;


/** Read-only views (engine.reads). */
export class QueueReads {
  constructor(private readonly core: EngineCore) {}

  private get redis(): RedisClient {
    return this.core.redis;
  }

  private get keyPrefix(): string {
    return this.core.options.keyPrefix;
  }

  private async lastMinutes(): Promise<number[]> {
    const current = Math.floor((await redisTimeMs(this.redis)) / 60_000) * 60_000;
    return Array.from({ length: MINUTES }, (_, i) => current - (MINUTES - 1 - i) * 60_000);
  }

  /** Reads the enq/deq counters named by the two fields for each minute. */
  private async readCounts(queueType: string, minutes: number[], enqField: string, deqField: string): Promise<CountSeries> {
    const pipeline = this.redis.pipeline();
    for (const minute of minutes) pipeline.hmget(statsKey(this.keyPrefix, queueType, minute), enqField, deqField);
    const values = pipelineValues(await pipeline.exec());
    const series: CountSeries = { enqueueCounts: {}, dequeueCounts: {} };
    minutes.forEach((minute, i) => {
      const [enq, deq] = list('HMGET', values[i], 2).map((count) => optionalText('HMGET', count));
      series.enqueueCounts[String(minute)] = Number(enq ?? 0);
      series.dequeueCounts[String(minute)] = Number(deq ?? 0);
    });
    return series;
  }

  /** Types with queued or active jobs now (as the original lists them), and the counts of all types. */
  async globalMetrics(): Promise<CountSeries & { queueTypes: string[] }> {
    const [allTypes, minutes] = await Promise.all([this.core.types.all(), this.lastMinutes()]);
    const [perType, liveQueues] = await Promise.all([
      Promise.all(allTypes.map((type) => this.readCounts(type, minutes, 'enq', 'deq'))),
      Promise.all(allTypes.map((type) => this.redis.hlen(typeKeys(this.keyPrefix, type).queues))),
    ]);
    const total: CountSeries = { enqueueCounts: {}, dequeueCounts: {} };
    for (const minute of minutes.map(String)) {
      total.enqueueCounts[minute] = perType.reduce((sum, s) => sum + (s.enqueueCounts[minute] ?? 0), 0);
      total.dequeueCounts[minute] = perType.reduce((sum, s) => sum + (s.dequeueCounts[minute] ?? 0), 0);
    }
    return { queueTypes: allTypes.filter((_, i) => (liveQueues[i] ?? 0) > 0), ...total };
  }

  /** Queues of the type that hold queued or active jobs, read in bounded HSCAN steps. */
  async queueIds(queueType: unknown): Promise<string[]> {
    const key = typeKeys(this.keyPrefix, valid.identifier('queue_type', queueType)).queues;
    const ids: string[] = [];
    let cursor = '0';
    do {
      const [next, fields] = await this.redis.hscan(key, cursor, 'COUNT', 1000);
      fields.forEach((field, i) => {
        if (i % 2 === 0) ids.push(field);
      });
      cursor = next;
    } while (cursor !== '0');
    return ids.sort();
  }

  async queueMetrics(queueType: unknown, queueId: unknown): Promise<CountSeries & { queueLength: number }> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    const [queueLength, series] = await Promise.all([
      this.queueLength(type, id),
      this.lastMinutes().then((minutes) => this.readCounts(type, minutes, `enq:${id}`, `deq:${id}`)),
    ]);
    return { queueLength, ...series };
  }

  async queueLength(queueType: unknown, queueId: unknown): Promise<number> {
    const type = valid.identifier('queue_type', queueType);
    const id = valid.identifier('queue_id', queueId);
    return this.redis.llen(queueKeys(this.keyPrefix, type, id).queue);
  }

  async typeGauges(queueType: string): Promise<TypeGauges> {
    const t = typeKeys(this.keyPrefix, queueType);
    const nowUs = (await redisTimeMs(this.redis)) * 1000;
    const values = pipelineValues(
      await this.redis
        .pipeline()
        .hget(t.totals, 'queued')
        .zcard(t.active)
        .zcount(t.ready, '-inf', nowUs)
        .hlen(t.queues)
        .zcard(t.delayed)
        .zcard(t.deadIndex)
        .zcount(t.paused, `(${nowUs}`, '+inf')
        .hget(t.limits, 'paused')
        .exec(),
    ).map((value) => Number(value ?? 0));
    const [queued = 0, active = 0, readyQueues = 0, queues = 0, delayed = 0, deadLetters = 0, pausedQueues = 0, typePause = 0] = values;
    // The type's pause as the scripts store it: -1 until resumed, else its end (us); 0 when absent.
    const typePaused = typePause === -1 || typePause > nowUs ? 1 : 0;
    return { queued, active, readyQueues, queues, delayed, deadLetters, pausedQueues, typePaused };
  }
}
