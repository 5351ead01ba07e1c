// `npm run bench`: ceilings and scenarios against the real CLI, one table, one JSON file.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { measureCeilings } from './ceilings/measure.js';
import { observeResponses } from '../test/helpers/http.js';
import { buildBaseline } from './lib/baseline.js';
import { ensureBuilt } from './lib/build.js';
import { installExitHandlers, runCleanups, stoppingOnSignal } from './lib/cleanup.js';
import { LEADER_LOCK_KEY } from './lib/fixtures.js';
import { LoadRunner } from './lib/load.js';
import { parseOptions, usage, type Options } from './lib/options.js';
import { startBenchRedis } from './lib/redis.js';
import { renderTable, rowsFor } from './lib/report.js';
import { cliOverride, ServerPool } from './lib/server-pool.js';
import type { BenchContext, Row, Scenario } from './lib/types.js';

/** Per figure: this tree's median over the baseline's (the same sitting, so the ratio holds where the absolute figures swing). */
function ratioRows(scenario: string, mine: Row[], theirs: Row[]): Row[] {
  return mine.flatMap((row) => {
    const base = theirs.find((other) => other.metric === row.metric);
    if (base === undefined || !(base.median !== 0 && Number.isFinite(base.median) && Number.isFinite(row.median))) return [];
    const ratio = row.median / base.median;
    return [{ scenario: `${scenario} [this tree / baseline]`, metric: row.metric, unit: 'x', kind: 'other' as const, runs: row.runs, median: ratio, min: ratio, max: ratio }];
  });
}
/** The row that stands for a scenario (or one build's run of it) that failed: its first line says why. */
function failedRow(scenario: string, message: string): Row {
  return { scenario, metric: `FAILED: ${message.split('\n')[0] ?? ''}`, unit: '', kind: 'other', runs: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN };
}

import { clusterScaleScenario } from './scenarios/cluster-scale.js';
import { cycleScenario } from './scenarios/cycle.js';
import { failCycleScenario } from './scenarios/fail-cycle.js';
import { flowControlScenario } from './scenarios/flow-control.js';
import { lifecycleScenario } from './scenarios/lifecycle.js';
import { manyQueuesScenario } from './scenarios/many-queues.js';
import { memoryScenario } from './scenarios/memory.js';
import { rateAccuracyScenario } from './scenarios/rate-accuracy.js';
import { requeueStormScenario } from './scenarios/requeue-storm.js';
import { singleOpsScenario } from './scenarios/single-ops.js';
import { rateAccuracyLongPollScenario } from './scenarios/rate-accuracy-long-poll.js';
import { batchCycleScenario } from './scenarios/batch-cycle.js';
import { wakeLatencyScenario } from './scenarios/wake-latency.js';

/** In the order they run; `--scenario` also accepts their numbers (1-13). */
const SCENARIOS: Scenario[] = [
  cycleScenario,
  singleOpsScenario,
  manyQueuesScenario,
  requeueStormScenario,
  rateAccuracyScenario,
  memoryScenario,
  lifecycleScenario,
  rateAccuracyLongPollScenario,
  batchCycleScenario,
  wakeLatencyScenario,
  clusterScaleScenario,
  failCycleScenario,
  flowControlScenario,
];

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

const benchStarted = Date.now();
const log = (line: string): void => {
  const seconds = ((Date.now() - benchStarted) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${seconds}s] ${line}\n`);
};

function stamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

async function main(): Promise<number> {
  const names = SCENARIOS.map((s) => s.name);
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2), names);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${usage(names)}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${usage(names)}\n`);
    return 0;
  }
  installExitHandlers();
  const startedAt = new Date();
  const { plan } = options;
  const loadAtStart = loadAverage();
  log(`sharq-server bench: ${plan.quick ? 'quick, ' : ''}${plan.durationSec} s per run, ${plan.runs} runs, scenarios ${options.scenarios.join(', ')}`);
  // The cores are shared with whatever else runs: a busy machine shows here before it shows in the figures.
  log(`load average ${loadAtStart} on ${os.cpus().length} CPUs`);
  const cli = cliOverride();
  if (cli === undefined) await ensureBuilt(log);
  else log(`server under test: ${cli} (SHARQ_BENCH_CLI; not building)`);
  const baselineCli = options.baseline === undefined ? undefined : await buildBaseline(options.baseline, log);
  const redis = await startBenchRedis([LEADER_LOCK_KEY]);
  const redisVersion = /redis_version:(\S+)/.exec(await redis.admin.info('server'))?.[1] ?? 'unknown';
  log(`private redis-server ${redisVersion} on port ${redis.port}`);
  const ctx: BenchContext = { plan, redis, load: new LoadRunner(), servers: new ServerPool(redis.port, log), ceilings: {}, log };

  const rows: Row[] = [];
  const failures: string[] = [];
  const ceilings = await measureCeilings(ctx);
  for (const ceiling of ceilings) if (ceiling.key !== 'a') ctx.ceilings[ceiling.key] = ceiling.figures;
  for (const ceiling of ceilings) rows.push(...rowsFor(ceiling.title, ceiling.runs, ctx.ceilings));

  const picked = SCENARIOS.filter((s) => options.scenarios.includes(s.name));
  for (const [index, scenario] of picked.entries()) {
    log(`scenario ${scenario.title}`);
    const started = Date.now();
    try {
      if (baselineCli === undefined) {
        await redis.flushAll();
        rows.push(...rowsFor(scenario.title, await scenario.measure(ctx), ctx.ceilings));
      } else {
        // Both builds in turn, the one that goes first alternating, so neither always meets a warmer machine.
        const builds = [{ label: 'this tree', cli: cliOverride() }, { label: `baseline ${options.baseline ?? ''}`, cli: baselineCli }];
        if (index % 2 === 1) builds.reverse();
        const measured = new Map<string, Row[]>();
        for (const build of builds) {
          log(`  against ${build.label}`);
          await ctx.servers.useCli(build.cli);
          // Off for both: an older build answers its own contract, and checking one build's replies
          // but not the other's would load the bench (on the same cores) for one side only.
          observeResponses(false);
          await redis.flushAll();
          const title = `${scenario.title} [${build.label}]`;
          try {
            measured.set(build.label, rowsFor(title, await scenario.measure(ctx), ctx.ceilings));
          } catch (err) {
            // One build failing (an older one without a route the scenario uses) keeps the other's figures.
            if (stoppingOnSignal()) throw err;
            const message = err instanceof Error ? err.message : String(err);
            failures.push(`${scenario.name} [${build.label}]: ${message}`);
            log(`scenario ${scenario.name} FAILED against ${build.label}: ${message}`);
            measured.set(build.label, [failedRow(title, message)]);
            await ctx.servers.stop();
          }
        }
        await ctx.servers.useCli(cliOverride());
        observeResponses(true);
        const mine = measured.get('this tree') ?? [];
        const theirs = measured.get(`baseline ${options.baseline ?? ''}`) ?? [];
        rows.push(...mine, ...theirs, ...ratioRows(scenario.title, mine, theirs));
      }
    } catch (err) {
      if (stoppingOnSignal()) throw err;
      const message = err instanceof Error ? err.message : String(err);
      failures.push(`${scenario.name}: ${message}`);
      log(`scenario ${scenario.name} FAILED: ${message}`);
      rows.push(failedRow(scenario.title, message));
    }
    log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  await ctx.servers.stop();

  const table = renderTable(rows);
  const legend = [
    'vs (b)/(c): throughput as a share of that ceiling\'s req/s (1.00x = as fast); latency as a multiple of its p50/p99 (1.00x = as low).',
    '(b) and (c) dequeue a queue type that is always empty, so their script call returns at once.',
  ];
  process.stdout.write(`\n${table}\n\n${legend.join('\n')}\n`);
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${stamp(startedAt)}.json`);
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      redis: redisVersion,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadAverage(),
    },
    plan,
    scenarios: options.scenarios,
    ceilings: ceilings.map((c) => ({ key: c.key, title: c.title, ...c.figures })),
    rows,
    failures,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nwritten: ${path.relative(process.cwd(), file)}\n`);
  return failures.length === 0 ? 0 : 1;
}

main()
  .catch((err: unknown) => {
    if (!stoppingOnSignal()) log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  })
  .then(async (code) => {
    await runCleanups();
    process.exit(code);
  });
