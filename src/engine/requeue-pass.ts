// How one requeue pass schedules its script calls (lua/requeue.lua): per Redis node a few calls in
// flight, so Redis never waits for the next call, yet the calls that land in one read stay short
// (Redis runs a connection's pipelined commands back to back: a deep pipeline of long calls would
// stall every other client). Each call's batch is sized from the Redis time the calls take, so a
// call stays near a target time whatever the jobs cost; a type whose batch came back full is called
// again at once, by every free lane of its node, until a batch comes back short.

import type { RequeueStep } from './scripts/requeue.js';

export interface RequeueCounts {
  requeued: number;
  discarded: number;
  /** Script calls made; each handles at most requeueBatchSize jobs. */
  calls: number;
}

export interface RequeuePassPlan {
  /** The most jobs one call handles (requeue_batch_size). */
  maxBatch: number;
  /** Redis time one call should take; batches grow or shrink towards it. */
  targetCallUs: number;
  /** Calls in flight per node while a type has full batches. */
  lanesPerNode: number;
  /** Calls in flight per node for types not yet called this pass (most find little or nothing). */
  firstCallsPerNode: number;
}

/**
 * Requeue calls of one pass: each near REQUEUE_CALL_TARGET_US of Redis time, at most
 * REQUEUE_LANES_PER_NODE of them in flight per node while a type has full batches (so a stretch of
 * pipelined calls Redis runs back to back stays a few ms), and up to REQUEUE_FIRST_CALLS_PER_NODE
 * first calls at once (each with a batch so small the stretch stays as short; many in flight hide
 * the round trip, which is most of a pass over many types with little due each).
 */
const REQUEUE_CALL_TARGET_US = 1000;
const REQUEUE_LANES_PER_NODE = 3;
const REQUEUE_FIRST_CALLS_PER_NODE = 128;

/** The plan of the server's passes, with `[sharq] requeue_batch_size` as the largest batch. */
export function requeuePassPlan(maxBatch: number): RequeuePassPlan {
  return {
    maxBatch,
    targetCallUs: REQUEUE_CALL_TARGET_US,
    lanesPerNode: REQUEUE_LANES_PER_NODE,
    firstCallsPerNode: REQUEUE_FIRST_CALLS_PER_NODE,
  };
}

/** The batch size that makes a call take about targetCallUs, from one call's time and jobs. */
export class BatchSizer {
  private perJobUs: number | undefined;

  constructor(private readonly plan: RequeuePassPlan) {}

  get batch(): number {
    if (this.perJobUs === undefined) return this.plan.maxBatch;
    return Math.max(1, Math.min(this.plan.maxBatch, Math.floor(this.plan.targetCallUs / this.perJobUs)));
  }

  /**
   * Learns from a call that handled `jobs` jobs in `tookUs`. Calls with few jobs say little, unless
   * they filled their batch (else a batch shrunk below that could never grow back). A call
   * can take far longer than its work when Redis waits for a core, which no batch size avoids: the
   * estimate follows the cheaper calls at once and creeps up on the dearer ones, so one stall does
   * not shrink every later batch.
   */
  observe(jobs: number, tookUs: number, filled: boolean): void {
    if (jobs < 10 && !filled) return;
    const sample = tookUs / jobs;
    if (this.perJobUs === undefined || sample < this.perJobUs) this.perJobUs = sample;
    else this.perJobUs = Math.min(sample, this.perJobUs * 1.1);
  }
}

type Step = (queueType: string, batch: number) => Promise<RequeueStep>;

/** Calls `step` for every type of one node until each has had a short batch. */
function drainNode(types: string[], step: Step, plan: RequeuePassPlan, sizer: BatchSizer, counts: Map<string, RequeueCounts>): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let inFlight = 0;
    let failed = false;
    // Types whose last batch was full, called round-robin; `rotation` may hold stale entries.
    const full = new Set<string>();
    const rotation: string[] = [];
    const pickFull = (): string | undefined => {
      while (rotation.length > 0) {
        const type = rotation.shift() as string;
        if (full.has(type)) {
          rotation.push(type);
          return type;
        }
      }
      return undefined;
    };
    // While types have full batches, alternate their calls with first calls of the others, so a
    // storm in one type delays the rest of the pass but never starves it.
    let fullTurn = false;
    const pump = (): void => {
      while (!failed) {
        const limit = full.size > 0 ? plan.lanesPerNode : plan.firstCallsPerNode;
        if (inFlight >= limit) break;
        const pending = next < types.length;
        fullTurn = !fullTurn;
        const fullType = full.size > 0 && (fullTurn || !pending) ? pickFull() : undefined;
        if (fullType !== undefined) call(fullType, sizer.batch);
        else if (pending) call(types[next++] as string, firstBatch());
        else break;
      }
      if (inFlight === 0 && !failed) resolve();
    };
    // First calls are many at once: each gets a share of what lanesPerNode full calls would take,
    // but at least 2, so a type with one expired job is done in one call (a batch it fills is called again).
    const firstBatch = (): number => Math.max(2, Math.floor((sizer.batch * plan.lanesPerNode) / plan.firstCallsPerNode));
    const call = (type: string, batch: number): void => {
      inFlight += 1;
      step(type, batch).then(
        (reply) => {
          inFlight -= 1;
          const c = counts.get(type) ?? { requeued: 0, discarded: 0, calls: 0 };
          c.requeued += reply.requeued;
          c.discarded += reply.discarded;
          c.calls += 1;
          counts.set(type, c);
          sizer.observe(reply.requeued + reply.discarded, reply.tookUs, reply.more);
          if (!reply.more) full.delete(type);
          else if (!full.has(type)) {
            full.add(type);
            rotation.push(type);
          }
          pump();
        },
        (error: unknown) => {
          failed = true;
          reject(error);
        },
      );
    };
    pump();
  });
}

/**
 * One pass over `types`: the nodes are worked on in parallel (types grouped by `nodeOf`), each with
 * its own calls in flight and batch size. Resolves to each type's counts, once every type has had
 * a call that found less than a full batch.
 */
export async function runRequeuePass(
  types: string[],
  nodeOf: (queueType: string) => string,
  step: Step,
  plan: RequeuePassPlan,
  sizers: Map<string, BatchSizer>,
): Promise<Map<string, RequeueCounts>> {
  const byNode = new Map<string, string[]>();
  for (const type of types) {
    const node = nodeOf(type);
    const list = byNode.get(node);
    if (list === undefined) byNode.set(node, [type]);
    else list.push(type);
  }
  const counts = new Map<string, RequeueCounts>();
  await Promise.all(
    [...byNode].map(([node, nodeTypes]) => {
      let sizer = sizers.get(node);
      if (sizer === undefined) {
        sizer = new BatchSizer(plan);
        sizers.set(node, sizer);
      }
      return drainNode(nodeTypes, step, plan, sizer, counts);
    }),
  );
  return counts;
}
