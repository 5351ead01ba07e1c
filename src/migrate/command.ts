// `sharq-server migrate`: moves a Python SharQ's data (its key layout, msgpack payloads) into this
// server's layout. SPEC 5.11; docs/migration.md.
import { Redis } from 'ioredis';
import yargs from 'yargs';
import { loadConfig } from '../config/config.js';
import { ConfigError, StartupError } from '../errors.js';
import type { Config } from '../interfaces.js';
import { globalKeys } from '../engine/keys.js';
import type { RedisClient } from '../redis/client.js';
import { connectRedisAtStartup } from '../redis/startup.js';
import { USAGE_EXIT_CODE } from '../cli-args.js';
import { discover } from './discover.js';
import { dryRun } from './dry-run.js';
import { follow } from './follow.js';
import { QueueMover } from './mover.js';
import { runPass } from './pass.js';
import { discoverySummary, moveSummary, Progress } from './progress.js';
import { AtomicSteps, TwoPhaseSteps, type Stepper } from './steps.js';
import { StopSignal } from './stop.js';

export interface MigrateArgs {
  configPath: string;
  fromPrefix: string;
  fromRedis?: string;
  dryRun: boolean;
  follow: boolean;
  stepJobs: number;
}

const say = (line: string): void => void process.stderr.write(`sharq-server migrate: ${line}\n`);

/** A bad flag or a missing one: exit 2, as the server's own usage errors. */
class UsageError extends Error {}

/** A target this migration cannot use as asked (a cluster without --from-redis): exit 1. */
class TargetError extends Error {}

function parse(argv: string[]): MigrateArgs {
  const args = yargs(argv)
    .scriptName('sharq-server migrate')
    .usage('$0 --config sharq.conf --from-prefix PREFIX [--from-redis URL] [--dry-run | --follow]\n\n' +
      "Moves a Python SharQ's queues (its key layout, msgpack payloads) into this server's layout.")
    .option('config', { alias: 'c', type: 'string', describe: 'This server\'s configuration file (or SHARQ_CONFIG)' })
    .option('from-prefix', { type: 'string', demandOption: true, describe: "The Python SharQ's key_prefix" })
    .option('from-redis', { type: 'string', describe: "The Python SharQ's Redis (redis://...); default: this server's" })
    .option('dry-run', { type: 'boolean', describe: 'Report what would move; change nothing' })
    .option('follow', { type: 'boolean', describe: 'Keep moving what old producers write, until SIGTERM' })
    .option('step-jobs', { type: 'number', default: 200, describe: 'Jobs moved per atomic step (bounds the longest Redis call)' })
    .conflicts('dry-run', 'follow')
    .version(false)
    .help()
    .alias('help', 'h')
    .strict()
    .parserConfiguration({ 'camel-case-expansion': false })
    .fail((message, error) => {
      throw new UsageError((error ? error.message : `${message} (see sharq-server migrate --help)`).replace(/\s*\n\s*/g, ' '));
    })
    .parseSync();
  const configPath = args.config ?? process.env.SHARQ_CONFIG;
  if (!configPath) throw new UsageError('no config file: pass --config PATH (or set SHARQ_CONFIG)');
  const stepJobs = args['step-jobs'];
  if (!Number.isInteger(stepJobs) || stepJobs < 1 || stepJobs > 5000) throw new UsageError('--step-jobs: expected an integer 1-5000');
  if (args['from-prefix'] === '') throw new UsageError('--from-prefix: expected the Python SharQ\'s key_prefix');
  return {
    configPath,
    fromPrefix: args['from-prefix'],
    fromRedis: args['from-redis'],
    dryRun: args['dry-run'] === true,
    follow: args.follow === true,
    stepJobs,
  };
}

async function connectSource(url: string): Promise<Redis> {
  const source = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectionName: 'sharq-migrate-source' });
  source.on('error', () => undefined);
  try {
    await source.connect();
    await source.ping();
  } catch (error) {
    source.disconnect();
    throw new StartupError(`cannot reach the Python SharQ's Redis at ${url}: ${(error as Error).message}`);
  }
  return source;
}

function stepperFor(config: Config, args: MigrateArgs, source: Redis, target: RedisClient): Stepper {
  const ctx = { oldPrefix: args.fromPrefix, newPrefix: config.redis.keyPrefix, defaultRequeueLimit: config.sharq.defaultJobRequeueLimit };
  return args.fromRedis === undefined ? new AtomicSteps(target, ctx) : new TwoPhaseSteps(source, target, ctx);
}

async function run(args: MigrateArgs, stop: StopSignal): Promise<number> {
  const config = loadConfig(args.configPath, process.env).config;
  if (config.redis.clustered && args.fromRedis === undefined) {
    throw new TargetError(
      "this server's Redis is a cluster, and the Python SharQ's keys carry no hash tags: an atomic step needs old and " +
        'new keys on one non-cluster Redis. Pass --from-redis URL (the Python SharQ\'s Redis) to move in crash-safe two-phase steps.',
    );
  }
  const target = await connectRedisAtStartup(config, 'sharq-migrate');
  const source = args.fromRedis === undefined ? (target as Redis) : await connectSource(args.fromRedis);
  try {
    const discovery = await discover(source, args.fromPrefix);
    for (const line of discoverySummary(discovery)) say(line);
    if (args.dryRun) {
      const counts = await dryRun(source, args.fromPrefix, discovery);
      process.stdout.write(
        [`dry run: nothing was changed`, ...discoverySummary(discovery), `jobs that would move: ${counts.jobs - counts.missing}`,
          `payloads that would move as strings (not msgpack that JSON can hold): ${counts.undecodable}`,
          `job ids without a payload (would be skipped): ${counts.missing}`].join('\n') + '\n',
      );
      return 0;
    }

    const total = discovery.queuedJobs + [...discovery.activeJobs.values()].reduce((a, b) => a + b, 0);
    const progress = new Progress(total);
    const mover = new QueueMover(source, stepperFor(config, args, source, target), {
      oldPrefix: args.fromPrefix,
      stepJobs: args.stepJobs,
      shouldStop: () => stop.requested,
      onStep: (counts) => progress.advance(counts.moved + counts.duplicates + counts.missing + counts.gone),
    });
    const startedMs = Date.now();
    await runPass(mover, target, config.redis.keyPrefix, { queues: discovery.queues, activeTypes: discovery.activeJobs.keys() }, () => stop.requested);
    progress.finish();
    if (args.follow && !stop.requested) {
      await follow(source, target, mover, stop, {
        oldPrefix: args.fromPrefix,
        newPrefix: config.redis.keyPrefix,
        lockKey: globalKeys(config.redis.keyPrefix).migrateFollower,
        lockTtlMs: 5000,
        pollMs: 200,
        rescanMs: 60_000,
        log: say,
      });
    }
    const lines = moveSummary(mover.totals, (Date.now() - startedMs) / 1000);
    if (discovery.badNames.length > 0) lines.push(...discoverySummary(discovery).filter((l) => l.startsWith('skipped')));
    if (stop.requested && !args.follow) lines.push('interrupted: run the same command again to move the rest');
    process.stdout.write(`${lines.join('\n')}\n`);
    return stop.requested && !args.follow ? 1 : 0;
  } finally {
    if (source !== target) source.disconnect();
    target.disconnect();
  }
}

/** Entry point of `sharq-server migrate ...` (argv after the word `migrate`); exits the process. */
export async function runMigrateCommand(argv: string[]): Promise<never> {
  const stop = new StopSignal();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      // A second signal does not wait: every step is atomic or journaled, so stopping anywhere is safe.
      if (stop.requested) process.exit(1);
      say(`${signal}: stopping after the current step`);
      stop.request();
    });
  }
  try {
    process.exit(await run(parse(argv), stop));
  } catch (error) {
    if (error instanceof UsageError) {
      say(error.message);
      process.exit(USAGE_EXIT_CODE);
    }
    if (error instanceof ConfigError || error instanceof StartupError || error instanceof TargetError) {
      say(error.message);
      process.exit(1);
    }
    say(`failed: ${(error as Error).message}. Nothing is half-moved: run the same command again to continue.`);
    process.exit(1);
  }
}
