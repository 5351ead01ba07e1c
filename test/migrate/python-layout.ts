// Data in the Python SharQ's key layout, written with plain Redis commands and msgpack the way its
// scripts leave it, and the real `sharq-server migrate` CLI run against it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode } from '@msgpack/msgpack';
import type { Redis } from 'ioredis';

import { cliPath, repoRoot } from '../helpers/server.js';

/** Server config for tests that dequeue without finishing: no job expires (and comes back) meanwhile. */
export const NO_EXPIRY = { sharq: { job_expire_interval: '600000' } };

export interface PyJob {
  type: string;
  queue: string;
  id: string;
  /** Packed with msgpack; a Buffer is stored as given (what msgpack could not pack). */
  payload: unknown;
  intervalMs?: number;
  requeueLimit?: number;
}

/** Python SharQ's enqueue: payload, interval, requeues remaining, the job id at the tail, the queue made ready. */
export function pyEnqueue(redis: Redis, prefix: string, job: PyJob, nowMs: number): Promise<unknown> {
  const raw = Buffer.isBuffer(job.payload) ? job.payload : Buffer.from(encode(job.payload, { useBigInt64: true }));
  const queue = `${prefix}:${job.type}:${job.queue}`;
  return redis
    .multi()
    .hset(`${prefix}:payload`, `${job.type}:${job.queue}:${job.id}`, raw)
    .hset(`${prefix}:interval`, `${job.type}:${job.queue}`, String(job.intervalMs ?? 0))
    .hset(`${queue}:requeues_remaining`, job.id, String(job.requeueLimit ?? -1))
    .rpush(queue, job.id)
    .zadd(`${prefix}:${job.type}`, 'NX', nowMs, job.queue)
    .sadd(`${prefix}:ready:queue_type`, job.type)
    .exec();
}

/** Python SharQ's dequeue of one queue: the head job becomes active, the queue's time is set. */
export async function pyDequeue(redis: Redis, prefix: string, type: string, queue: string, nowMs: number, expireMs = 60_000): Promise<string> {
  const key = `${prefix}:${type}:${queue}`;
  const jobId = await redis.lpop(key);
  if (!jobId) throw new Error(`nothing queued in ${key}`);
  const interval = Number(await redis.hget(`${prefix}:interval`, `${type}:${queue}`));
  const m = redis.multi().zadd(`${prefix}:${type}:active`, nowMs + expireMs, `${queue}:${jobId}`)
    .set(`${key}:time`, String(nowMs), 'PX', expireMs)
    .sadd(`${prefix}:active:queue_type`, type);
  if ((await redis.llen(key)) > 0) m.zadd(`${prefix}:${type}`, nowMs + interval, queue);
  else m.zrem(`${prefix}:${type}`, queue);
  await m.exec();
  return jobId;
}

export async function redisNowMs(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** A config for the test Redis; `redisExtra` lines go into [redis]. */
export function writeConfig(redisPort: number, redisExtra = ''): { path: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sharq-migrate-test-'));
  const file = path.join(dir, 'sharq.conf');
  writeFileSync(
    file,
    `[sharq]\njob_expire_interval : 60000\njob_requeue_interval : 1000\ndefault_job_requeue_limit : -1\n\n` +
      `[sharq-server]\nhost : 127.0.0.1\nport : 8080\n\n` +
      `[redis]\ndb : 0\nkey_prefix : sharq_test\nconn_type : tcp_sock\nhost : 127.0.0.1\nport : ${redisPort}\n${redisExtra}\n`,
  );
  return { path: file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface MigrateRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | string>;
}

export function startMigrate(args: string[]): MigrateRun {
  const child = spawn(process.execPath, [cliPath, 'migrate', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export async function runMigrate(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const run = startMigrate(args);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Many jobs into one old queue, pipelined (what the Python SharQ leaves after `count` enqueues). */
export async function pyBulkEnqueue(
  redis: Redis,
  prefix: string,
  type: string,
  queue: string,
  jobIds: string[],
  nowMs: number,
  payloadOf: (jobId: string) => unknown = (id) => ({ id }),
): Promise<void> {
  const key = `${prefix}:${type}:${queue}`;
  for (let from = 0; from < jobIds.length; from += 5000) {
    const ids = jobIds.slice(from, from + 5000);
    const p = redis.pipeline();
    const payloads: (string | Buffer)[] = [];
    const requeues: string[] = [];
    for (const id of ids) {
      payloads.push(`${type}:${queue}:${id}`, Buffer.from(encode(payloadOf(id))));
      requeues.push(id, '-1');
    }
    p.hset(`${prefix}:payload`, ...payloads);
    p.hset(`${key}:requeues_remaining`, ...requeues);
    p.rpush(key, ...ids);
    await p.exec();
  }
  await redis
    .multi()
    .hset(`${prefix}:interval`, `${type}:${queue}`, '0')
    .zadd(`${prefix}:${type}`, 'NX', nowMs, queue)
    .sadd(`${prefix}:ready:queue_type`, type)
    .exec();
}
