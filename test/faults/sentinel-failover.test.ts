// Sentinel failover on real processes (one master, one replica, three redis-sentinel): the master
// is SIGKILLed under continuous enqueues; the server follows the failover by itself, answers 503
// (never 500) while it lasts, the leader lock and requeue continue on the new master, and with
// min_replicas_ack = 1 no acknowledged job is lost (a ledger of acknowledged job ids).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Ledger } from '../helpers/ledger.js';
import { redisCli } from '../helpers/redis.js';
import { MASTER_NAME, startSentinelSetup, type SentinelSetupHandle } from '../helpers/sentinel.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { request } from '../helpers/fetch.js';
import { waitFor } from '../helpers/wait.js';

describe('Sentinel failover with min_replicas_ack', () => {
  let setup: SentinelSetupHandle;
  let server: ServerHandle;
  before(async () => {
    setup = await startSentinelSetup();
    server = await startServer({
      redisPort: setup.master.port,
      workers: 2,
      // The machine running the suite may be loaded: Node alone can take seconds to start.
      startTimeoutMs: 60_000,
      config: {
        sharq: { job_expire_interval: '1000', job_requeue_interval: '500' },
        redis: {
          sentinels: setup.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
          sentinel_name: MASTER_NAME,
          min_replicas_ack: '1',
          replica_ack_timeout: '500',
        },
      },
    });
  });
  after(async () => {
    await server?.stop();
    await setup?.stop();
  });

  test('each acknowledged enqueue is on the replica when answered', async () => {
    const res = await request(`${server.url}/enqueue/sent/q/`, { body: { job_id: 'first', interval: 0, payload: 1 } });
    assert.equal(res.status, 201);
    // No wait: WAIT already confirmed the replica has it.
    assert.equal(await redisCli(setup.replica.port, 'hexists', 'sharq_test:{sent}:jobs:q', 'first'), '1');
    assert.equal((await request(`${server.url}/dequeue/sent/`)).status, 200);
    assert.equal((await request(`${server.url}/finish/sent/q/first/`, { method: 'POST' })).status, 200);
  });

  test('a replica that does not confirm: 503, and the retried enqueue is a safe duplicate', async () => {
    const pid = setup.replica.pid;
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGSTOP');
    let res;
    try {
      res = await request(`${server.url}/enqueue/sent/q/`, { body: { job_id: 'unconfirmed', interval: 0, payload: 1 } });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.equal(res.status, 503, res.text);
    assert.match((res.body as { message: string }).message, /only 0 of 1 Redis replicas confirmed/);
    // The master did apply it; the retry finds it and now the replica confirms.
    const retried = await request(`${server.url}/enqueue/sent/q/`, { body: { job_id: 'unconfirmed', interval: 0, payload: 1 } });
    assert.equal(retried.status, 201, retried.text);
    assert.equal((retried.body as { duplicate?: boolean }).duplicate, true);
    assert.equal((await request(`${server.url}/dequeue/sent/`)).status, 200);
    assert.equal((await request(`${server.url}/finish/sent/q/unconfirmed/`, { method: 'POST' })).status, 200);
  });

  test('master SIGKILLed under load: 503 only, failover followed, nothing acknowledged lost', async () => {
    const ledger = new Ledger({ urls: [server.url], queueTypes: ['sa', 'sb', 'sc'] });
    const load = ledger.produce(4, 5);
    const oldMaster = setup.master.port;
    try {
      await waitFor(() => ledger.acknowledged.size >= 100, { what: '100 acknowledged enqueues before the fault', timeoutMs: 30_000 });
      await setup.master.kill();
      await waitFor(async () => (await setup.masterPort()) === setup.replica.port, {
        what: 'the Sentinels to promote the replica',
        timeoutMs: 30_000,
      });
      // The new master has no replica yet: with min_replicas_ack = 1 it cannot acknowledge writes.
      const ackedAlone = ledger.acknowledged.size;
      await waitFor(
        async () => {
          const refused = await request(`${server.url}/enqueue/sa/alone/`, { body: { job_id: 'alone', interval: 0, payload: 1 } });
          assert.equal(refused.status, 503, refused.text);
          return /only 0 of 1 Redis replicas confirmed/.test((refused.body as { message: string }).message);
        },
        { what: 'the new master to refuse unreplicated writes with 503', timeoutMs: 20_000 },
      );
      // The old master comes back (empty) and the Sentinels make it the new master's replica.
      await setup.master.restart();
      await waitFor(() => ledger.acknowledged.size >= ackedAlone + 100, {
        what: '100 acknowledged enqueues on the new master once it has a replica again',
        timeoutMs: 40_000,
      });
    } finally {
      await load.stop();
    }
    assert.notEqual(await setup.masterPort(), oldMaster);
    assert.deepEqual(ledger.unexpectedStatuses(['201', '503']), [], ledger.report());

    // The leader lock lives on the new master, and requeue runs there: a job dequeued and never
    // finished comes back.
    await waitFor(async () => /:\d+:/.test(await redisCli(setup.replica.port, 'get', 'sharq_test:leader')), {
      what: 'the leader lock on the new master',
      timeoutMs: 15_000,
    });
    assert.equal((await request(`${server.url}/enqueue/srq/q/`, { body: { job_id: 'abandoned', interval: 0, payload: 1 } })).status, 201);
    assert.equal((await request(`${server.url}/dequeue/srq/`)).status, 200);
    await waitFor(async () => (await request(`${server.url}/dequeue/srq/`)).status === 200, {
      what: 'the abandoned job to be requeued on the new master',
      timeoutMs: 15_000,
    });

    const missing = await ledger.drain(30_000);
    assert.deepEqual(missing, [], `${missing.length} of ${ledger.acknowledged.size} acknowledged jobs lost`);
    assert.deepEqual(ledger.unexpectedStatuses(['200', '201', '404', '503']), [], ledger.report());
  });
});
