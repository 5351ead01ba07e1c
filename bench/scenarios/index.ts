import type { Scenario } from '../lib/types.js';
import { cycleScenario } from './cycle.js';
import { manyQueuesScenario } from './many-queues.js';
import { memoryScenario } from './memory.js';
import { rateAccuracyScenario } from './rate-accuracy.js';
import { requeueStormScenario } from './requeue-storm.js';
import { singleOpsScenario } from './single-ops.js';
import { rateAccuracyLongPollScenario } from './rate-accuracy-long-poll.js';
import { batchCycleScenario } from './batch-cycle.js';
import { wakeLatencyScenario } from './wake-latency.js';

/** In the order they run; `--scenario` also accepts their numbers (1-9). */
export const SCENARIOS: Scenario[] = [
  cycleScenario,
  singleOpsScenario,
  manyQueuesScenario,
  requeueStormScenario,
  rateAccuracyScenario,
  memoryScenario,
  rateAccuracyLongPollScenario,
  batchCycleScenario,
  wakeLatencyScenario,
];
