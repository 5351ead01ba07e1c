// Migration speed: `sharq-server migrate` over jobs written in the Python SharQ's layout, and the longest
// single Redis call meanwhile: SLOWLOG logging every call over 1 ms (slower-than 0 would log millions of
// calls, script-internal ones included, and slow the run it measures).
//   node --import tsx bench/migrate.ts [--queues 10000] [--jobs-per-queue 100] [--step-jobs 200]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';

import { redisCpuSeconds, scriptTime } from './lib/commandstats.js';
import { startRedis } from '../test/helpers/redis.js';
import { pyBulkEnqueue, redisNowMs, runMigrate, writeConfig } from '../test/migrate/python-layout.js';

const { values } = parseArgs({
  options: {
    queues: { type: 'string', default: '10000' },
    'jobs-per-queue': { type: 'string', default: '100' },
    'step-jobs': { type: 'string', default: '200' },
  },
});
const queues = Number(values.queues);
const perQueue = Number(values['jobs-per-queue']);
const stepJobs = values['step-jobs'];

const redis = await startRedis({ extraArgs: ['--slowlog-max-len', '1000000'] });
const client = new Redis(redis.port, '127.0.0.1');
const config = writeConfig(redis.port);
try {
  const now = await redisNowMs(client);
  const fillStarted = Date.now();
  const payload = (id: string): unknown => ({ id, to: '+33612345678', body: 'Your code is 123456. It expires in 10 minutes.' });
  for (let q = 0; q < queues; q++) {
    const ids = Array.from({ length: perQueue }, (_, i) => `j${i}`);
    await pyBulkEnqueue(client, 'py', `type${q % 10}`, `queue${q}`, ids, now, payload);
  }
  process.stderr.write(`filled ${queues * perQueue} jobs over ${queues} queues in ${((Date.now() - fillStarted) / 1000).toFixed(1)} s\n`);

  await client.config('SET', 'slowlog-log-slower-than', '1000');
  await client.slowlog('RESET');
  await client.config('RESETSTAT');
  const cpuBefore = await redisCpuSeconds(client);
  const started = process.hrtime.bigint();
  const run = await runMigrate(['--config', config.path, '--from-prefix', 'py', '--step-jobs', stepJobs]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const redisCpu = (await redisCpuSeconds(client)) - cpuBefore;
  await client.config('SET', 'slowlog-log-slower-than', '10000');
  if (run.code !== 0) throw new Error(`migrate failed: ${run.stderr}`);

  const entries = (await client.slowlog('GET', '-1')) as [number, number, number, string[]][];
  // ioredis sends lower-case names; commands a script runs are logged upper-case.
  const fromClient = entries.filter((e) => /^[a-z]/.test(String(e[3][0])));
  const describe = (list: typeof entries): string => {
    if (list.length === 0) return 'none over 1 ms';
    const longest = list.reduce((a, b) => (b[2] > a[2] ? b : a));
    const over10 = list.filter((e) => e[2] > 10_000).length;
    return `${list.length} over 1 ms, ${over10} over 10 ms, longest ${(longest[2] / 1000).toFixed(1)} ms (${String(longest[3][0])})`;
  };
  const jobs = queues * perQueue;
  const stats = await scriptTime(client);
  const meanStepUs = stats.calls > 0 ? Math.round(stats.usec / stats.calls) : 0;
  process.stdout.write(
    [
      `jobs: ${jobs} over ${queues} queues, step ${stepJobs} jobs`,
      `migrate (whole CLI run, discovery included): ${seconds.toFixed(1)} s, ${Math.round(jobs / seconds)} jobs/s`,
      `calls from the migrator (script calls, LRANGE, HMGET...): ${describe(fromClient)}`,
      `steps (script calls): ${stats.calls}, mean ${meanStepUs} us of Redis wall time each`,
      // On a loaded machine wall time includes waiting for a core; CPU time is the work itself.
      `Redis CPU time: ${redisCpu.toFixed(1)} s in all, ${Math.round((redisCpu * 1e6) / Math.max(1, stats.calls))} us per step, load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores`,
      run.stdout.trim(),
    ].join('\n') + '\n',
  );
} finally {
  client.disconnect();
  config.remove();
  await redis.stop();
}
