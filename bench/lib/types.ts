// The shapes shared by the scenarios, the ceilings and the report.

import type { LoadRunner } from './load.js';
import type { PrivateRedis } from './redis.js';
import type { ServerPool } from './server-pool.js';

/** How a figure relates to the ceilings: throughput divides by their req/s, latency by their p50/p99. */
export type MetricKind = 'throughput' | 'p50' | 'p99' | 'other';

export interface Target {
  op: '>=' | '<=';
  value: number;
  /** When set the target is on the ratio to that ceiling, not on the figure itself. */
  vs?: 'b' | 'c';
  /** As printed in the table, e.g. ">= 4750" or "ref 143 (Python)" (reference only: no op check). */
  label: string;
  referenceOnly?: boolean;
}

/** One figure of one run. */
export interface Sample {
  metric: string;
  unit: string;
  value: number;
  kind: MetricKind;
  target?: Target;
}

export interface Plan {
  quick: boolean;
  durationSec: number;
  warmupSec: number;
  runs: number;
  manyQueuesSizes: number[];
  stormJobs: number;
  stormQueueCounts: number[];
  rateQueues: number;
  rateJobsPerQueue: number;
  rateIntervalMs: number;
  memoryLayouts: Array<{ queues: number; jobsPerQueue: number }>;
  /** Queue types of the cluster scenario's requeue pass. */
  clusterRequeueTypes: number;
}

export interface BenchContext {
  plan: Plan;
  redis: PrivateRedis;
  load: LoadRunner;
  servers: ServerPool;
  /** Medians of the ceilings measured earlier in this sitting. */
  ceilings: { b?: CeilingFigures; c?: CeilingFigures };
  log(line: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  /** Runs the scenario plan.runs times; one Sample[] per run. */
  measure(ctx: BenchContext): Promise<Sample[][]>;
}

export interface CeilingFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  kind: MetricKind;
  runs: number;
  median: number;
  min: number;
  max: number;
  vsB?: number;
  vsC?: number;
  target?: string;
  met?: boolean;
}
