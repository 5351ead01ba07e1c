// The soak's ledger must fail on what it claims to catch (a loss, a lease broken, a double finish, a
// changed payload, a dead letter past its limit) and must not blame the server for what the API
// allows (a redelivery after expiry, a late fail of an earlier holder ending the current lease).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { JobLedger, type JobSpec } from '../helpers/job-ledger.js';

const EXPIRE = 2000;
/** In the past, so what the ledger stamps with Date.now() (probes) comes after every span here. */
const T = Date.now() - 60_000;
const audit = (ledger: JobLedger): string[] => ledger.audit({ expireMs: EXPIRE, marginMs: 10 }).map((v) => v.problem);

function spec(over: Partial<JobSpec> = {}): JobSpec {
  return { queueType: 't', queueId: 'q', jobId: 'j', payload: { a: 1 }, requeueLimit: -1, delayMs: 0, backoffMs: 0, backoffMaxMs: 600, ...over };
}

/** A ledger with job `j` enqueued (acknowledged) at T. */
function enqueued(over: Partial<JobSpec> = {}): JobLedger {
  const ledger = new JobLedger();
  const s = spec(over);
  ledger.sending(s);
  ledger.enqueued(s.jobId, 'single', 'acknowledged', { sentAt: T, recvAt: T + 5 });
  return ledger;
}

function deliver(ledger: JobLedger, attempt: number, at: number, over: { payload?: unknown; remaining?: number; consumer?: string } = {}): void {
  const s = ledger.spec('j') as JobSpec;
  const remaining = over.remaining ?? (s.requeueLimit === -1 ? -1 : s.requeueLimit - (attempt - 1));
  const job = { queue_id: 'q', job_id: 'j', payload: over.payload ?? s.payload, requeues_remaining: remaining, attempt };
  ledger.delivered(job, over.consumer ?? 'c', 'dequeue', { sentAt: at, recvAt: at + 5 });
}

const finish = (ledger: JobLedger, attempt: number, at: number, status: 'acknowledged' | 'not-active' | 'unknown' = 'acknowledged'): void =>
  ledger.finished('j', 'c', 'finish', attempt, status, { sentAt: at, recvAt: at + 5 });

describe('JobLedger audit', () => {
  test('a job delivered, abandoned, redelivered after its lease and finished is fine', () => {
    const ledger = enqueued();
    deliver(ledger, 1, T + 10);
    ledger.abandoned('j', 'c', 1);
    deliver(ledger, 2, T + 10 + EXPIRE + 300);
    finish(ledger, 2, T + 10 + EXPIRE + 400);
    assert.deepEqual(audit(ledger), []);
    assert.deepEqual(ledger.unsettled(), []);
  });

  test('an acknowledged job that never settles is lost', () => {
    const ledger = enqueued();
    assert.deepEqual(audit(ledger), ['neither finished nor dead-lettered: lost']);
    assert.deepEqual(ledger.unsettled(), ['j']);
  });

  test('an unacknowledged job is optional until it is seen delivered', () => {
    const ledger = new JobLedger();
    ledger.sending(spec());
    ledger.enqueued('j', 'single', 'unknown', { sentAt: T, recvAt: T + 5 });
    assert.deepEqual(audit(ledger), []);
    deliver(ledger, 1, T + 10);
    assert.deepEqual(audit(ledger), ['neither finished nor dead-lettered: lost']);
  });

  test('a redelivery while the lease runs, or of the same attempt, is caught', () => {
    const early = enqueued();
    deliver(early, 1, T + 10);
    deliver(early, 2, T + 10 + EXPIRE - 500);
    finish(early, 2, T + EXPIRE);
    assert.match(audit(early).join('\n'), /attempt 2 handed out at -?\d+ while attempt 1's lease ran/);

    const twice = enqueued();
    deliver(twice, 1, T + 10, { consumer: 'a' });
    deliver(twice, 1, T + 20, { consumer: 'b' });
    finish(twice, 1, T + 30);
    assert.deepEqual(audit(twice), ['attempt 1 handed out twice (to a and b)']);
  });

  test('an exact lease read back, a back-off and a fail bound the next attempt', () => {
    const lease = enqueued();
    deliver(lease, 1, T + 10);
    lease.leaseSeen('j', 1, T + 3000);
    deliver(lease, 2, T + 2600);
    finish(lease, 2, T + 2700);
    assert.equal(audit(lease).length, 1, 'the read-back lease ends later than sentAt + expire');

    const backoff = enqueued({ backoffMs: 400 });
    deliver(backoff, 1, T + 10);
    deliver(backoff, 2, T + 10 + EXPIRE + 100);
    finish(backoff, 2, T + 3000);
    assert.equal(audit(backoff).length, 1, 'retry 1 waits 400 ms after the expiry');

    const failed = enqueued();
    deliver(failed, 1, T + 10);
    failed.failed('j', 'c', 'fail', 1, 'retry', { sentAt: T + 50, recvAt: T + 60 }, T + 500);
    deliver(failed, 2, T + 300);
    finish(failed, 2, T + 400);
    assert.equal(audit(failed).length, 1, 'handed out before the fail\'s run_at_ms');
  });

  test('a late fail of an earlier holder may end the current lease', () => {
    const ledger = enqueued();
    deliver(ledger, 1, T + 10, { consumer: 'a' });
    deliver(ledger, 2, T + 10 + EXPIRE + 100, { consumer: 'b' });
    // a's fail comes after its own lease expired and ends b's.
    ledger.failed('j', 'a', 'fail', 1, 'retry', { sentAt: T + EXPIRE + 200, recvAt: T + EXPIRE + 210 }, T + EXPIRE + 205);
    deliver(ledger, 3, T + EXPIRE + 300, { consumer: 'c' });
    finish(ledger, 3, T + EXPIRE + 400);
    assert.deepEqual(audit(ledger), []);
  });

  test('a second finish, a delivery after a finish and a changed payload are caught', () => {
    const ledger = enqueued();
    deliver(ledger, 1, T + 10, { payload: { a: 2 } });
    finish(ledger, 1, T + 20);
    deliver(ledger, 2, T + 10 + EXPIRE + 100);
    finish(ledger, 2, T + 10 + EXPIRE + 200);
    assert.deepEqual(audit(ledger), [
      'attempt 1: payload changed to {"a":2}',
      'finished 2 times',
      'attempt 2 handed out after the job was finished',
    ]);
  });

  test('dead letters: by the limit, with the right reason and attempts', () => {
    const ledger = enqueued({ requeueLimit: 1 });
    deliver(ledger, 1, T + 10);
    ledger.failed('j', 'c', 'fail', 1, 'retry', { sentAt: T + 20, recvAt: T + 30 }, T + 25);
    deliver(ledger, 2, T + 40);
    ledger.failed('j', 'c', 'fail', 2, 'dead', { sentAt: T + 50, recvAt: T + 60 });
    assert.deepEqual(audit(ledger), ['a fail answered "dead" but the job is not in the dead letters', 'neither finished nor dead-lettered: lost']);
    const entry = { queue_id: 'q', job_id: 'j', reason: 'failed', discarded_at_ms: T + 55, requeue_limit: 1, attempts: 2, payload: { a: 1 } };
    ledger.deadLetter(entry);
    assert.deepEqual(audit(ledger), []);

    const early = enqueued({ requeueLimit: 2 });
    deliver(early, 1, T + 10);
    early.deadLetter({ ...entry, reason: 'requeue_limit_reached', requeue_limit: 2, attempts: 1, discarded_at_ms: T + EXPIRE + 100 });
    assert.deepEqual(audit(early), ['dead-lettered after 1 attempts; its limit allows 3']);

    const forever = enqueued();
    deliver(forever, 1, T + 10);
    forever.deadLetter({ ...entry, reason: 'requeue_limit_reached', requeue_limit: -1, attempts: 1 });
    assert.ok(audit(forever).includes('dead-lettered although requeued forever (requeue_limit -1)'));
  });

  test('a finish without an answer settles the job once GET /job/ no longer finds it', () => {
    const ledger = enqueued();
    deliver(ledger, 1, T + 10);
    finish(ledger, 1, T + 20, 'unknown');
    assert.deepEqual(ledger.finishUnknown(ledger.unsettled()), ['j']);
    ledger.probed('j', 'gone');
    assert.deepEqual(audit(ledger), []);
  });

  test('requeues_remaining and delays are checked against what was sent', () => {
    const ledger = enqueued({ requeueLimit: 2, delayMs: 1000 });
    deliver(ledger, 1, T + 500, { remaining: 1 });
    finish(ledger, 1, T + 600);
    assert.deepEqual(audit(ledger), [
      'attempt 1: requeues_remaining 1, expected 2',
      'attempt 1: handed out before its delay of 1000 ms ran out',
    ]);
  });
});
