// Command-line options of `npm run bench -- ...` and the plan (sizes, durations) they imply.

import { parseArgs } from 'node:util';
import type { Plan } from './types.js';

export interface Options {
  help: boolean;
  scenarios: string[];
  plan: Plan;
  /** A git ref built in a worktree and benched beside this tree, scenario by scenario. */
  baseline?: string;
}

export function usage(names: string[]): string {
  return [
    'Usage: npm run bench -- [options]',
    '',
    'Builds the server when dist/ is stale, starts a private redis-server, measures the ceilings',
    '(a) node:http, (b) node:http + 1 script call, (c) express + 1 script call, then the scenarios against',
    'the real CLI with 2 workers; prints one table and writes bench/results/<timestamp>.json.',
    '',
    'Options:',
    `  --scenario a,b   scenarios to run, by name or number (default: all): ${names.map((n, i) => `${i + 1}=${n}`).join(', ')}`,
    '  --duration <s>   seconds of load per run (default 10; --quick: 0.5)',
    '  --runs <n>       runs per scenario and ceiling, at least 3 (default 3)',
    '  --quick          small sizes, short runs, storm by the leader only: about a minute in all',
    '  --baseline <ref> also bench that commit (built in a temporary git worktree) beside this tree, each',
    '                   scenario once for each in turn, and add a row per figure: this tree / the baseline',
    '  --help           this text',
  ].join('\n');
}

function positiveNumber(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} expects a positive number, got "${raw}"`);
  return value;
}

function planFor(quick: boolean, durationSec: number, runs: number): Plan {
  return {
    quick,
    durationSec,
    warmupSec: quick ? 0.25 : 2,
    runs,
    manyQueuesSizes: quick ? [1000, 10000] : [1000, 10000, 100000, 1000000],
    stormJobs: quick ? 10000 : 100000,
    stormQueueCounts: quick ? [100, 10000] : [100, 100000],
    rateQueues: 50,
    rateJobsPerQueue: quick ? 4 : 30,
    rateIntervalMs: 200,
    clusterRequeueTypes: quick ? 2000 : 10000,
    memoryLayouts: quick
      ? [
          { queues: 100, jobsPerQueue: 100 },
          { queues: 10000, jobsPerQueue: 1 },
        ]
      : [
          { queues: 1000, jobsPerQueue: 100 },
          { queues: 100000, jobsPerQueue: 1 },
        ],
  };
}

export function parseOptions(argv: string[], names: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      duration: { type: 'string' },
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      baseline: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const quick = values.quick === true;
  const durationSec = positiveNumber(values.duration, 'duration', quick ? 0.5 : 10);
  const runs = Math.round(positiveNumber(values.runs, 'runs', 3));
  if (runs < 3) throw new Error('--runs must be at least 3 (each figure is a median with its min-max)');
  const picked = values.scenario === undefined ? names : values.scenario.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const scenarios = picked.map((raw) => {
    const byNumber = /^\d+$/.test(raw) ? names[Number(raw) - 1] : undefined;
    const name = byNumber ?? raw;
    if (!names.includes(name)) throw new Error(`unknown scenario "${raw}"; known: ${names.join(', ')}`);
    return name;
  });
  if (values.baseline !== undefined && values.baseline.trim() === '') throw new Error('--baseline expects a git ref');
  return {
    help: values.help === true,
    scenarios,
    plan: planFor(quick, durationSec, runs),
    ...(values.baseline === undefined ? {} : { baseline: values.baseline.trim() }),
  };
}
