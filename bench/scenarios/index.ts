import type { Scenario } from '../lib/types.js';
import { cycleScenario } from './cycle.js';
import { lifecycleScenario } from './lifecycle.js';
import { manyQueuesScenario } from './many-queues.js';
import { memoryScenario } from './memory.js';
import { rateAccuracyScenario } from './rate-accuracy.js';
import { requeueStormScenario } from './requeue-storm.js';
import { singleOpsScenario } from './single-ops.js';

/** In the order they run; `--scenario` also accepts their numbers (1-7). */
export const SCENARIOS: Scenario[] = [
  cycleScenario,
  singleOpsScenario,
  manyQueuesScenario,
  requeueStormScenario,
  rateAccuracyScenario,
  memoryScenario,
  lifecycleScenario,
];
