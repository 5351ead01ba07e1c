// The dead letters of a queue type (SPEC 5.7): list (paged, newest first), replay, delete.
import { MAX_REPLAY_IDS, deadLetterJson } from '../../engine/dead-letters.js';
import * as valid from '../../engine/validation.js';
import { ValidationError } from '../../errors.js';
import { jsonObjectBody, type JsonObject } from '../body.js';
import type { Reply, RouteDeps, RouteInput } from '../types.js';

/** GET /dead/<queue_type>/?limit=<n>&cursor=<c> */
export async function listDead(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  const query = new URLSearchParams(input.query);
  const limit = valid.pageLimit(query.get('limit') ?? undefined);
  const page = await engine.deadLetters.list(input.params.queue_type, limit, query.get('cursor') ?? undefined);
  // Payloads are spliced in as the JSON text they were stored as.
  const jobs = page.jobs.map(deadLetterJson).join(',');
  const cursor = page.nextCursor === undefined ? 'null' : JSON.stringify(page.nextCursor);
  return { status: 200, body: `{"status":"success","jobs":[${jobs}],"next_cursor":${cursor}}` };
}

function replayTargets(body: JsonObject): { queueId: string; jobId: string }[] | 'all' {
  if (body.all !== undefined) {
    if (body.all !== true) throw new ValidationError('all', '`all` has an invalid value: expected true');
    if (body.jobs !== undefined) throw new ValidationError('jobs', 'give either `jobs` or `all`, not both');
    return 'all';
  }
  const jobs = body.jobs;
  if (!Array.isArray(jobs) || jobs.length === 0 || jobs.length > MAX_REPLAY_IDS) {
    throw new ValidationError('jobs', `\`jobs\` has an invalid value: expected 1 to ${MAX_REPLAY_IDS} {"queue_id", "job_id"} objects (or "all": true)`);
  }
  return jobs.map((job: unknown, i) => {
    if (typeof job !== 'object' || job === null || Array.isArray(job)) {
      throw new ValidationError('jobs', `\`jobs[${i}]\` has an invalid value: expected {"queue_id", "job_id"}`);
    }
    const { queue_id: queueId, job_id: jobId } = job as JsonObject;
    return { queueId: valid.identifier('queue_id', queueId), jobId: valid.identifier('job_id', jobId) };
  });
}

/** POST /dead/<queue_type>/replay/ body {"jobs": [{"queue_id", "job_id"}, ...]} or {"all": true} */
export async function replayDead(input: RouteInput, { engine, onJobEvent }: RouteDeps): Promise<Reply> {
  const queueType = valid.identifier('queue_type', input.params.queue_type);
  const targets = replayTargets(jsonObjectBody(input.body));
  const result = targets === 'all' ? await engine.deadLetters.replayAll(queueType) : await engine.deadLetters.replay(queueType, targets);
  if (result.replayed > 0) onJobEvent?.('replayed', queueType, result.replayed);
  return { status: 200, body: { status: 'success', replayed: result.replayed } };
}

/** DELETE /dead/<queue_type>/ */
export async function deleteDead(input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  return { status: 200, body: { status: 'success', deleted: await engine.deadLetters.deleteAll(input.params.queue_type) } };
}
