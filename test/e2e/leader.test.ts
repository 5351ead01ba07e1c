// Requeue leader election across server instances sharing one Redis: exactly one leads, a
// killed leader is replaced within a few seconds (and expired jobs are still requeued), and a
// graceful stop hands the lock over at once instead of letting it expire.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import { Redis } from 'ioredis';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { isAlive } from '../helpers/process.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const LOCK_KEY = 'sharq_test:leader';
const LOCK_TTL_MS = 5000;
const BECAME = 'became the requeue leader';

function becameLeaderCount(server: ServerHandle): number {
  return server
    .stdout()
    .split('\n')
    .filter((line) => line.includes(BECAME)).length;
}

/** The lock value is `<hostname>:<pid>:<random>`; the pid is that of a primary. */
function holderPid(value: string | null): number | undefined {
  const parts = value?.split(':') ?? [];
  return parts.length === 3 ? Number(parts[1]) : undefined;
}

interface Job {
  status: string;
  queue_id: string;
  job_id: string;
  requeues_remaining: number;
}

describe('requeue leader', () => {
  let redis: RedisServerHandle;
  let client: Redis;
  let servers: ServerHandle[] = [];
  before(async () => {
    redis = await startRedis();
    client = new Redis({ host: '127.0.0.1', port: redis.port });
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    servers = [];
    // The next test starts from no leader, not from a dead instance's lock.
    await client.del(LOCK_KEY);
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  const FAST_REQUEUE = { sharq: { job_expire_interval: '300', job_requeue_interval: '200' } };

  async function start(): Promise<ServerHandle> {
    const server = await startServer({ redisPort: redis.port, workers: 1, config: FAST_REQUEUE });
    servers.push(server);
    return server;
  }

  /** Starts two instances, the first as leader; returns [leader, follower]. */
  async function startPair(): Promise<[ServerHandle, ServerHandle]> {
    const first = await start();
    await waitFor(async () => holderPid(await client.get(LOCK_KEY)) === first.child.pid, {
      what: 'the first instance to take the lock',
    });
    const second = await start();
    return [first, second];
  }

  /** Resolves after the holder renewed the lock twice: every other instance has campaigned meanwhile. */
  async function twoRenewals(): Promise<void> {
    let last = await client.pttl(LOCK_KEY);
    let renewals = 0;
    await waitFor(
      async () => {
        const ttl = await client.pttl(LOCK_KEY);
        if (ttl > last) renewals++;
        last = ttl;
        return renewals >= 2;
      },
      { what: 'two renewals of the leader lock', timeoutMs: 4 * LOCK_TTL_MS, intervalMs: 100 },
    );
  }

  test('exactly one of two instances holds the lock and says so', async () => {
    const [first, second] = await startPair();
    await twoRenewals();
    const value = await client.get(LOCK_KEY);
    assert.equal(holderPid(value), first.child.pid, `lock value ${String(value)}`);
    assert.match(value ?? '', /^[^:]+:\d+:[0-9a-f]+$/);
    assert.equal(becameLeaderCount(first), 1, first.stdout());
    assert.equal(becameLeaderCount(second), 0, second.stdout());
    // Leadership belongs to the primary, never to a worker.
    const leaderLine = first
      .stdout()
      .split('\n')
      .find((line) => line.includes(BECAME));
    assert.equal((JSON.parse(leaderLine ?? '{}') as { role?: string }).role, 'primary');
  });

  test('a SIGKILLed leader is replaced within a few seconds and expired jobs are still requeued', async () => {
    const [leader, follower] = await startPair();
    const leaderPids = [leader.child.pid ?? 0, ...(await leader.workerPids())];
    // Kill right after a renewal: the dead leader's lock then outlives it by ~5 s.
    await waitFor(async () => (await client.pttl(LOCK_KEY)) > LOCK_TTL_MS - 500, {
      what: 'a fresh renewal of the lock',
      timeoutMs: 2 * LOCK_TTL_MS,
      intervalMs: 20,
    });
    // The whole instance dies at once, as with a lost host: no release, the lock must expire.
    for (const pid of leaderPids) process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    assert.notEqual(await leader.exited, 0);
    await waitFor(() => leaderPids.every((pid) => !isAlive(pid)), { what: 'the killed instance to be gone' });

    // A job dequeued and never finished while nobody leads (the dead leader's lock is still there).
    const queueId = `q${Date.now()}`;
    const enq = await follower.api.post(`/enqueue/leader/${queueId}/`, { job_id: 'job1', interval: 0, payload: { n: 1 }, requeue_limit: 3 });
    assert.equal(enq.status, 201);
    const first = await follower.api.get('/dequeue/leader/');
    assert.equal(first.status, 200);
    const firstJob = first.body as Job;
    assert.equal(firstJob.job_id, 'job1');
    const dequeuedAt = Date.now();

    // Until the follower takes over, nothing requeues the expired job.
    let checkedWhileLeaderless = 0;
    const unexpected: string[] = [];
    await waitFor(
      async () => {
        const holder = holderPid(await client.get(LOCK_KEY));
        if (holder === leader.child.pid && Date.now() > dequeuedAt + 1000) {
          // Expired (300 ms) for a while now, but only a leader may requeue it.
          const res = await follower.api.get('/dequeue/leader/');
          if (res.status !== 404) unexpected.push(`${res.status} ${res.text}`);
          checkedWhileLeaderless++;
        }
        return holder === follower.child.pid && becameLeaderCount(follower) === 1;
      },
      { what: 'the follower to take the lock', timeoutMs: 15_000, intervalMs: 100 },
    );
    assert.deepEqual(unexpected, [], 'the job was requeued while nobody held the lock');
    const takeoverMs = Date.now() - killedAt;
    // The lock's TTL plus one campaign round, with room for a loaded machine.
    assert.ok(takeoverMs < 12_000, `takeover took ${takeoverMs} ms`);

    const again = await waitFor(
      async () => {
        const res = await follower.api.get('/dequeue/leader/');
        return res.status === 200 ? (res.body as Job) : false;
      },
      { what: 'the expired job to be requeued by the new leader', timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.equal(again.job_id, 'job1');
    assert.equal(again.queue_id, queueId);
    assert.equal(again.requeues_remaining, firstJob.requeues_remaining - 1);
    assert.equal((await follower.api.post(`/finish/leader/${queueId}/job1/`)).status, 200);
    assert.ok(checkedWhileLeaderless >= 1, 'never checked the queue while nobody led');
  });

  test('a graceful SIGTERM of the leader releases the lock at once', async () => {
    const [leader, follower] = await startPair();
    // Stop right after a renewal, so the lock would live on for ~5 s if it were not released.
    await waitFor(async () => (await client.pttl(LOCK_KEY)) > LOCK_TTL_MS - 500, {
      what: 'a fresh renewal of the lock',
      timeoutMs: 2 * LOCK_TTL_MS,
      intervalMs: 20,
    });
    const signalledAt = Date.now();
    leader.child.kill('SIGTERM');
    await waitFor(async () => holderPid(await client.get(LOCK_KEY)) !== leader.child.pid, {
      what: 'the lock to be released',
      timeoutMs: LOCK_TTL_MS,
      intervalMs: 20,
    });
    const releasedMs = Date.now() - signalledAt;
    assert.ok(releasedMs < 3000, `the lock was released ${releasedMs} ms after SIGTERM`);
    assert.equal(await leader.exited, 0);
    assert.match(leader.stdout(), /released the requeue leader lock/);

    // The follower takes over on its next campaign round (a third of the TTL), not after expiry.
    await waitFor(async () => holderPid(await client.get(LOCK_KEY)) === follower.child.pid, {
      what: 'the follower to take the released lock',
      timeoutMs: 10_000,
    });
    // Its log line follows the lock by a moment: wait for it, then check it came once.
    await waitFor(() => becameLeaderCount(follower) >= 1, { what: "the follower's leader log line", timeoutMs: 5_000 });
    assert.equal(becameLeaderCount(follower), 1);
  });

  test('the Prometheus leader gauge shows which instance leads', async () => {
    const [leader, follower] = await startPair();
    const gauge = async (server: ServerHandle): Promise<string | undefined> =>
      /^sharq_leader (\S+)$/m.exec((await server.api.get('/metrics')).text)?.[1];
    assert.equal(await gauge(leader), '1');
    assert.equal(await gauge(follower), '0');
  });
});
