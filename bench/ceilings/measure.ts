// Measures the three ceilings in this sitting: one app process serves all three, each is warmed up
// and loaded plan.runs times in turn.

import { fileURLToPath } from 'node:url';

import { freePort } from '../../test/helpers/ports.js';
import { spawnChild, waitWhileRunning } from '../../test/helpers/process.js';
import { repoRoot } from '../../test/helpers/server.js';
import { CEILING_MODES, CEILING_QUEUE_TYPE, type CeilingMode } from '../lib/fixtures.js';
import { CONNECTIONS } from '../lib/load.js';
import { spread } from '../lib/stats.js';
import type { BenchContext, CeilingFigures, Sample } from '../lib/types.js';

export interface CeilingResult {
  key: 'a' | 'b' | 'c';
  title: string;
  runs: Sample[][];
  figures: CeilingFigures;
}

const TITLES: Record<CeilingMode, { key: CeilingResult['key']; title: string }> = {
  bare: { key: 'a', title: 'ceiling (a) node:http, no Redis' },
  evalsha: { key: 'b', title: 'ceiling (b) node:http + 1 script call of dequeue.lua (empty type)' },
  express: { key: 'c', title: 'ceiling (c) express 5 + 1 script call of dequeue.lua (empty type)' },
};

async function measureOne(ctx: BenchContext, mode: CeilingMode, port: number): Promise<Sample[][]> {
  const runs: Sample[][] = [];
  for (let run = 0; run < ctx.plan.runs; run += 1) {
    const result = await ctx.load.run({
      url: `http://127.0.0.1:${port}`,
      connections: CONNECTIONS,
      durationSec: ctx.plan.durationSec,
      warmupSec: run === 0 ? ctx.plan.warmupSec : 0,
      profile: { kind: 'static', path: `/dequeue/${CEILING_QUEUE_TYPE}/` },
    });
    const bad = result.requests - (result.statuses['200'] ?? 0);
    if (bad > 0 || result.errors > 0) throw new Error(`ceiling ${mode}: ${bad} non-200 answers, ${result.errors} errors`);
    runs.push([
      { metric: 'req/s', unit: '', value: result.rps, kind: 'throughput' },
      { metric: 'p50', unit: 'ms', value: result.p50Ms, kind: 'p50' },
      { metric: 'p99', unit: 'ms', value: result.p99Ms, kind: 'p99' },
    ]);
    ctx.log(`  ${mode} run ${run + 1}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`);
  }
  return runs;
}

function figuresOf(runs: Sample[][]): CeilingFigures {
  const pick = (metric: string): number => spread(runs.map((run) => run.find((s) => s.metric === metric)?.value ?? Number.NaN)).median;
  return { rps: pick('req/s'), p50Ms: pick('p50'), p99Ms: pick('p99') };
}

export async function measureCeilings(ctx: BenchContext): Promise<CeilingResult[]> {
  const ports: number[] = [];
  for (const _mode of CEILING_MODES) ports.push(await freePort());
  const script = fileURLToPath(new URL('./app.ts', import.meta.url));
  const app = spawnChild('ceiling apps', process.execPath, ['--import', 'tsx', script, String(ctx.redis.port), ...ports.map(String)], { cwd: repoRoot });
  try {
    await waitWhileRunning(app, () => app.stdout().includes('READY'), { timeoutMs: 120000, what: 'the ceiling apps to print READY' });
    const results: CeilingResult[] = [];
    for (const [i, mode] of CEILING_MODES.entries()) {
      const { key, title } = TITLES[mode];
      ctx.log(title);
      const runs = await measureOne(ctx, mode, ports[i] ?? 0);
      results.push({ key, title, runs, figures: figuresOf(runs) });
    }
    return results;
  } finally {
    await app.stop('SIGTERM', 5000);
  }
}
