// Measures the three ceilings in this sitting: one app process serves all three, each is warmed up
// and loaded plan.runs times in turn.

import path from 'node:path';
import { spawnOwned } from '../lib/child.js';
import { waitFor } from '../lib/deadline.js';
import { CONNECTIONS } from '../lib/load.js';
import { benchDir, repoRoot } from '../lib/paths.js';
import { freePort } from '../lib/ports.js';
import { spread } from '../lib/stats.js';
import type { BenchContext, CeilingFigures, Sample } from '../lib/types.js';
import { CEILING_MODES, CEILING_QUEUE_TYPE, type CeilingMode } from './modes.js';

export interface CeilingResult {
  key: 'a' | 'b' | 'c';
  title: string;
  runs: Sample[][];
  figures: CeilingFigures;
}

const TITLES: Record<CeilingMode, { key: CeilingResult['key']; title: string }> = {
  bare: { key: 'a', title: 'ceiling (a) node:http, no Redis' },
  evalsha: { key: 'b', title: 'ceiling (b) node:http + 1 EVALSHA dequeue.lua (empty type)' },
  express: { key: 'c', title: 'ceiling (c) express 5 + 1 EVALSHA dequeue.lua (empty type)' },
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
  const script = path.join(benchDir, 'ceilings', 'app.ts');
  const app = spawnOwned('ceiling apps', process.execPath, ['--import', 'tsx', script, String(ctx.redis.port), ...ports.map(String)], { cwd: repoRoot });
  try {
    await waitFor(
      () => {
        if (app.hasExited()) throw new Error(`ceiling apps exited:\n${app.output()}`);
        return app.output().includes('READY');
      },
      { timeoutMs: 30000, intervalMs: 50, what: 'ceiling apps' },
    );
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
