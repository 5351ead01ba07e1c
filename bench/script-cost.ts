// Redis time of each job script alone (issue 15): a focused micro-run, not a scenario. It starts its
// own redis-server (free port), drives the engine directly (no HTTP), and reads INFO commandstats
// around each phase, so every figure is one script's µs per call on Redis's side.
//
//   node --import tsx bench/script-cost.ts [--rounds 100] [--reps 5] [--commands] [--against DIR]
//
// Single cycle: per round, 50 enqueues (in flight together, over 1000 queues, interval 0, as the
// cycle scenario's clients do), then 50 dequeues, then 50 finishes of the jobs that came out.
// Batch cycle: per round, enqueue_batch of 100 jobs, dequeue_batch of 100, finish_batch of them.
// Each figure is the median (and the minimum) over --reps repetitions of --rounds rounds.
// --commands: per script call, the commands it made and their µs (the rest is Lua and call overhead).
// --against DIR: also runs the engine of another checkout (e.g. `git archive main | tar -x -C DIR`,
// with node_modules linked), round by round in turn with this one on the same Redis, so a
// before/after comparison shares whatever else loads the machine.
// --requeue: also, per repetition, a requeue storm in small (see requeueRound): µs per job brought back.
// --instructions: runs redis-server under valgrind's callgrind, collecting inside FCALL/EVALSHA/EVAL only,
// and reports instructions per script call: exact and independent of the machine's load (a loaded
// 2-core machine makes every µs figure noisy). Slow: use few rounds (e.g. --rounds 10 --reps 1).

import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';

import { Redis } from 'ioredis';

import type { BatchOperations } from '../src/engine/batch.js';
import type { DequeuedJob, QueueEngine } from '../src/engine/engine.js';
import { typeKeys } from '../src/engine/keys.js';
import { DEFAULT_ENGINE_OPTIONS } from '../test/helpers/engine.js';
import { startRedis } from '../test/helpers/redis.js';

const QUEUES = 1000;
const IN_FLIGHT = 50;
const BATCH = 100;
/** Jobs of the requeue phase, each in a queue of its own: the requeue-storm scenario's worst case, in small. */
const STORM_JOBS = 5000;

interface Stat {
  calls: number;
  usec: number;
}

/**
 * Every command's calls and µs (the commands a script makes count too); FCALL, EVALSHA and EVAL as 'script',
 * and the CPU time of Redis's main thread as 'cpu' (calls: 0).
 */
async function commandStats(redis: Redis): Promise<Map<string, Stat>> {
  const text = (await redis.call('INFO', 'cpu', 'commandstats')) as string;
  const stats = new Map<string, Stat>();
  const cpuSec = (field: string): number => Number(new RegExp(`^${field}:([0-9.]+)`, 'm').exec(text)?.[1] ?? NaN);
  stats.set('cpu', { calls: 0, usec: 1e6 * (cpuSec('used_cpu_user_main_thread') + cpuSec('used_cpu_sys_main_thread')) });
  for (const match of text.matchAll(/^cmdstat_([a-z|_]+):calls=(\d+),usec=(\d+)/gm)) {
    const name = ['fcall', 'evalsha', 'eval'].includes(match[1] as string) ? 'script' : (match[1] as string);
    const stat = stats.get(name) ?? { calls: 0, usec: 0 };
    stat.calls += Number(match[2]);
    stat.usec += Number(match[3]);
    stats.set(name, stat);
  }
  return stats;
}

/** Instructions run inside FCALL/EVALSHA/EVAL since the last call (a callgrind dump), when Redis runs under callgrind. */
type InstructionProbe = () => Promise<number>;

/** PATH entry whose redis-server runs the real one under callgrind, collecting in the script commands only. */
function callgrindPath(): { dir: string; probe: (pid: number) => InstructionProbe } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sharq-callgrind-'));
  const real = process.env.PATH?.split(path.delimiter).map((d) => path.join(d, 'redis-server')).find((f) => {
    try {
      return readFileSync(f).length > 0;
    } catch {
      return false;
    }
  });
  if (!real) throw new Error('redis-server not found on PATH');
  const wrapper = path.join(dir, 'redis-server');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec valgrind --tool=callgrind --toggle-collect=fcallCommand --toggle-collect=evalShaCommand --toggle-collect=evalCommand --dump-instr=no --callgrind-out-file=${dir}/cg.%p ${real} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  const run = promisify(execFile);
  const probe = (pid: number): InstructionProbe => async () => {
    await run('callgrind_control', ['-d', String(pid)]);
    const dumps = readdirSync(dir).filter((f) => f.startsWith(`cg.${pid}.`));
    const newest = dumps.sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).pop();
    const text = newest ? readFileSync(path.join(dir, newest), 'utf8') : '';
    return Number(/^totals: (\d+)/m.exec(text)?.[1] ?? 0);
  };
  return { dir, probe };
}

/** Per phase: the script time and the commands the scripts made ('ir': instructions, with --instructions). */
class Phases {
  readonly totals = new Map<string, Map<string, Stat>>();

  constructor(
    private readonly admin: Redis,
    private readonly instructions?: InstructionProbe,
  ) {}

  async measure<T>(name: string, run: () => Promise<T>): Promise<T> {
    // Whatever ran since the last phase (the requeue phase's set-up) is not this phase's.
    await this.instructions?.();
    const before = await commandStats(this.admin);
    const result = await run();
    const after = await commandStats(this.admin);
    if (this.instructions) after.set('ir', { calls: 0, usec: await this.instructions() });
    const total = this.totals.get(name) ?? new Map<string, Stat>();
    for (const [command, stat] of after) {
      // The INFO calls around the phase are not the scripts' doing.
      if (command === 'info') continue;
      const was = before.get(command) ?? { calls: 0, usec: 0 };
      if (stat.calls === was.calls && command !== 'cpu' && command !== 'ir') continue;
      const sum = total.get(command) ?? { calls: 0, usec: 0 };
      sum.calls += stat.calls - was.calls;
      sum.usec += stat.usec - was.usec;
      total.set(command, sum);
    }
    this.totals.set(name, total);
    return result;
  }

  script(name: string): Stat {
    return this.totals.get(name)?.get('script') ?? { calls: 0, usec: 0 };
  }

  /** Redis main-thread CPU µs over the phase's runs (the scripts, their requests and replies). */
  cpu(name: string): number {
    return this.totals.get(name)?.get('cpu')?.usec ?? 0;
  }

  /** Instructions inside the script commands over the phase's runs (--instructions only). */
  instructionCount(name: string): number {
    return this.totals.get(name)?.get('ir')?.usec ?? 0;
  }
}

interface Variant {
  label: string;
  redis: Redis;
  engine: QueueEngine;
  /** The engine's batch operations (engine.batch), or a separate batch engine in builds before it had them. */
  batch: Pick<BatchOperations, 'enqueue' | 'dequeue' | 'finish'>;
  phases: Phases;
  cycles: number;
  batchJobs: number;
  requeuedJobs: number;
}

/**
 * A requeue storm in small: STORM_JOBS jobs over as many queues are dequeued, their leases all set
 * to have expired, and the measured phase is one requeue pass (engine.requeueType) bringing them back.
 */
async function requeueRound(v: Variant, round: number, idPrefix: string): Promise<void> {
  const type = 'storm';
  for (let first = 0; first < STORM_JOBS; first += BATCH) {
    const list = Array.from({ length: Math.min(BATCH, STORM_JOBS - first) }, (_, i) => ({
      queueId: `s${first + i}`,
      jobId: `${idPrefix}-${round}-${first + i}`,
      intervalMs: 0,
      payload: { n: i },
    }));
    await v.batch.enqueue(type, list);
    await v.batch.dequeue(type, list.length);
  }
  const active = typeKeys(v.engine.options.keyPrefix, type).active;
  const members = await v.redis.zrange(active, '0', '-1');
  for (let i = 0; i < members.length; i += 1000) {
    await v.redis.zadd(active, 'XX', ...members.slice(i, i + 1000).flatMap((m) => ['0', m]));
  }
  const counts = await v.phases.measure('requeue', () => v.engine.requeueType(type));
  v.requeuedJobs += counts.requeued;
  // Empties the storm's queues for the next round (dequeue, then finish, through the batch routes).
  for (let left = counts.requeued; left > 0; ) {
    const got = await v.batch.dequeue(type, BATCH);
    if (got.jobs.length === 0) break;
    await v.batch.finish(type, got.jobs.map((j) => ({ queueId: j.queueId, jobId: j.jobId })));
    left -= got.jobs.length;
  }
}

async function singleRound(v: Variant, round: number, idPrefix: string): Promise<void> {
  const base = round * IN_FLIGHT;
  await v.phases.measure('enqueue', () =>
    Promise.all(
      Array.from({ length: IN_FLIGHT }, (_, i) =>
        v.engine.enqueue({ queueType: 'cycle', queueId: `q${(base + i) % QUEUES}`, jobId: `${idPrefix}-${base + i}`, intervalMs: 0, payload: { n: i } }),
      ),
    ),
  );
  const out = await v.phases.measure('dequeue', () => Promise.all(Array.from({ length: IN_FLIGHT }, () => v.engine.dequeue('cycle'))));
  const jobs = out.filter((r): r is DequeuedJob => r.kind === 'job');
  await v.phases.measure('finish', () => Promise.all(jobs.map((j) => v.engine.finish('cycle', j.queueId, j.jobId))));
  v.cycles += jobs.length;
}

async function batchRound(v: Variant, round: number, idPrefix: string): Promise<void> {
  const list = Array.from({ length: BATCH }, (_, i) => ({
    queueId: `q${(round * 7 + i) % QUEUES}`,
    jobId: `${idPrefix}-${round}-${i}`,
    intervalMs: 0,
    payload: { n: i },
  }));
  await v.phases.measure('enqueue_batch', () => v.batch.enqueue('batch', list));
  const got = await v.phases.measure('dequeue_batch', () => v.batch.dequeue('batch', BATCH));
  await v.phases.measure('finish_batch', () => v.batch.finish('batch', got.jobs.map((j) => ({ queueId: j.queueId, jobId: j.jobId }))));
  v.batchJobs += got.jobs.length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** engine.batch, or in a build from before it (an --against checkout) a BatchEngine made of the engine. */
async function batchOf(root: string, engine: QueueEngine): Promise<Variant['batch']> {
  if ('batch' in engine && typeof engine.batch === 'object') return engine.batch;
  const older = (await import(path.join(root, 'src/engine/batch.ts'))) as Record<string, unknown>;
  const Batch = older.BatchEngine as new (engine: QueueEngine) => Variant['batch'];
  return new Batch(engine);
}

async function makeVariant(
  label: string,
  root: string,
  redis: Redis,
  admin: Redis,
  keyPrefix: string,
  instructions?: InstructionProbe,
): Promise<Variant> {
  const { QueueEngine: Engine } = (await import(path.join(root, 'src/engine/engine.ts'))) as typeof import('../src/engine/engine.js');
  const engine = new Engine(redis, { ...DEFAULT_ENGINE_OPTIONS, keyPrefix });
  return { label, redis, engine, batch: await batchOf(root, engine), phases: new Phases(admin, instructions), cycles: 0, batchJobs: 0, requeuedJobs: 0 };
}

interface Figures {
  perCall: Map<string, number[]>;
  cpuPerCall: Map<string, number[]>;
  perCycle: number[];
  perBatchJob: number[];
  cpuPerCycle: number[];
  cpuPerBatchJob: number[];
  /** Instructions per call / per cycle / per batch job, with --instructions. */
  irPerCall: Map<string, number[]>;
  irPerCycle: number[];
  irPerBatchJob: number[];
  /** Script time, CPU and instructions per job the requeue phase brought back. */
  perRequeuedJob: number[];
  cpuPerRequeuedJob: number[];
  irPerRequeuedJob: number[];
}

function record(v: Variant, figures: Figures): void {
  let single = 0;
  let batched = 0;
  let singleCpu = 0;
  let batchedCpu = 0;
  let singleIr = 0;
  let batchedIr = 0;
  for (const name of v.phases.totals.keys()) {
    const stat = v.phases.script(name);
    const cpu = v.phases.cpu(name);
    const ir = v.phases.instructionCount(name);
    figures.perCall.set(name, [...(figures.perCall.get(name) ?? []), stat.usec / stat.calls]);
    figures.cpuPerCall.set(name, [...(figures.cpuPerCall.get(name) ?? []), cpu / stat.calls]);
    figures.irPerCall.set(name, [...(figures.irPerCall.get(name) ?? []), ir / stat.calls]);
    if (name === 'requeue') {
      figures.perRequeuedJob.push(stat.usec / v.requeuedJobs);
      figures.cpuPerRequeuedJob.push(cpu / v.requeuedJobs);
      figures.irPerRequeuedJob.push(ir / v.requeuedJobs);
    } else if (name.endsWith('_batch')) {
      batched += stat.usec;
      batchedCpu += cpu;
      batchedIr += ir;
    } else {
      single += stat.usec;
      singleCpu += cpu;
      singleIr += ir;
    }
  }
  figures.irPerCycle.push(singleIr / v.cycles);
  figures.irPerBatchJob.push(batchedIr / v.batchJobs);
  figures.perCycle.push(single / v.cycles);
  figures.perBatchJob.push(batched / v.batchJobs);
  figures.cpuPerCycle.push(singleCpu / v.cycles);
  figures.cpuPerBatchJob.push(batchedCpu / v.batchJobs);
}

function printFigures(label: string, f: Figures): void {
  const fmt = (list: number[], scale = 1): string => `${(median(list) / scale).toFixed(2).padStart(8)} (${(Math.min(...list) / scale).toFixed(2)})`;
  console.log(`\n[${label}] us per call, median (min) over reps: script time (commandstats) | Redis main-thread CPU`);
  for (const [name, list] of f.perCall) {
    const cpu = f.cpuPerCall.get(name) ?? [];
    const perJob = name.endsWith('_batch') ? `   per job ${fmt(list, BATCH)} | ${fmt(cpu, BATCH)}` : '';
    console.log(`  ${name.padEnd(14)} ${fmt(list)} | ${fmt(cpu)}${perJob}`);
  }
  console.log(`  single-job cycle ${fmt(f.perCycle)} | ${fmt(f.cpuPerCycle)} us (target <= 40)`);
  console.log(`  batch cycle      ${fmt(f.perBatchJob)} | ${fmt(f.cpuPerBatchJob)} us per job (target <= 15)`);
  if (f.perRequeuedJob.length > 0) {
    console.log(`  requeue storm    ${fmt(f.perRequeuedJob)} | ${fmt(f.cpuPerRequeuedJob)} us per job (${STORM_JOBS} jobs, a queue each)`);
  }
  if (f.irPerCycle.some((n) => n > 0)) {
    const k = (list: number[], scale = 1): string => `${(median(list) / scale / 1000).toFixed(1).padStart(8)}k`;
    console.log(`  instructions (callgrind, inside the script commands): per call`);
    for (const [name, list] of f.irPerCall) {
      console.log(`    ${name.padEnd(14)} ${k(list)}${name.endsWith('_batch') ? `   per job ${k(list, BATCH)}` : ''}`);
    }
    console.log(`    single-job cycle ${k(f.irPerCycle)}; batch cycle ${k(f.irPerBatchJob)} per job; requeue ${k(f.irPerRequeuedJob)} per job`);
  }
}

function printCommands(v: Variant): void {
  console.log(`\n[${v.label}] per script call: the commands it made and their us (the rest is Lua and call overhead)`);
  for (const [name, stats] of v.phases.totals) {
    const script = v.phases.script(name);
    const inner = [...stats].filter(([command]) => !['script', 'cpu', 'ir'].includes(command)).sort((a, b) => b[1].calls - a[1].calls);
    const innerUsec = inner.reduce((sum, [, stat]) => sum + stat.usec, 0);
    const count = inner.reduce((sum, [, stat]) => sum + stat.calls, 0);
    console.log(`  ${name}: ${(script.usec / script.calls).toFixed(2)} us/call; ${(count / script.calls).toFixed(2)} commands taking ${(innerUsec / script.calls).toFixed(2)} us`);
    for (const [command, stat] of inner) {
      console.log(`    ${command.padEnd(16)} ${(stat.calls / script.calls).toFixed(2).padStart(7)}  ${(stat.usec / script.calls).toFixed(2).padStart(8)} us`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '100' },
      reps: { type: 'string', default: '5' },
      commands: { type: 'boolean', default: false },
      against: { type: 'string' },
      instructions: { type: 'boolean', default: false },
      requeue: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const reps = Number(values.reps);
  const callgrind = values.instructions ? callgrindPath() : undefined;
  if (callgrind) process.env.PATH = `${callgrind.dir}${path.delimiter}${process.env.PATH ?? ''}`;
  const server = await startRedis({ startTimeoutMs: 60_000 });
  const instructions = callgrind && server.pid !== undefined ? callgrind.probe(server.pid) : undefined;
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const conn = new Redis({ host: server.host, port: server.port });
    connections.push(conn);
    return conn;
  };
  const admin = connect();
  try {
    const roots: [string, string][] = [['this tree', path.resolve(import.meta.dirname, '..')]];
    if (values.against) roots.push([`against ${values.against}`, path.resolve(values.against)]);
    // Each variant on its own connection: its scripts are defined per connection under one name.
    const variants = await Promise.all(roots.map(([label, root], i) => makeVariant(label, root, connect(), admin, `v${i}`, instructions)));
    const figures = variants.map(
      (): Figures => ({
        perCall: new Map(),
        cpuPerCall: new Map(),
        perCycle: [],
        perBatchJob: [],
        cpuPerCycle: [],
        cpuPerBatchJob: [],
        irPerCall: new Map(),
        irPerCycle: [],
        irPerBatchJob: [],
        perRequeuedJob: [],
        cpuPerRequeuedJob: [],
        irPerRequeuedJob: [],
      }),
    );
    // Warm-up (script cache, an idle record for every queue the measured rounds use), not counted.
    const batchRounds = Math.ceil((rounds * IN_FLIGHT) / BATCH);
    for (const v of variants) {
      for (let round = 0; round < Math.min(rounds, QUEUES / IN_FLIGHT); round += 1) await singleRound(v, round, 'warm');
      for (let round = 0; round < Math.min(batchRounds, QUEUES / BATCH); round += 1) await batchRound(v, round, 'warm');
    }
    await instructions?.();
    for (let rep = 0; rep < reps; rep += 1) {
      for (const v of variants) Object.assign(v, { phases: new Phases(admin, instructions), cycles: 0, batchJobs: 0, requeuedJobs: 0 });
      // Round by round in turn, so every variant sees the same load on the machine.
      for (let round = 0; round < rounds; round += 1) for (const v of variants) await singleRound(v, round, `r${rep}`);
      for (let round = 0; round < batchRounds; round += 1) {
        for (const v of variants) await batchRound(v, round, `r${rep}`);
      }
      if (values.requeue) for (const v of variants) await requeueRound(v, rep, `r${rep}`);
      variants.forEach((v, i) => record(v, figures[i] as Figures));
    }
    const [one, five, fifteen] = loadavg().map((l) => l.toFixed(2));
    console.log(`load average ${one} ${five} ${fifteen}; ${reps} reps x ${rounds} rounds`);
    variants.forEach((v, i) => printFigures(v.label, figures[i] as Figures));
    if (values.commands) for (const v of variants) printCommands(v);
  } finally {
    for (const conn of connections) conn.disconnect();
    await server.stop();
  }
}

await main();
