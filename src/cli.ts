#!/usr/bin/env node
import cluster from 'node:cluster';
import { hideBin } from 'yargs/helpers';
import { parseCliArgs, USAGE_EXIT_CODE } from './cli-args.js';
import { FlagValueError, loadConfig } from './config/config.js';
import type { Config } from './interfaces.js';
import { createLogger, exitOnUncaughtErrors } from './logger.js';
import { Primary } from './process/primary.js';
import { ConfigError, StartupError } from './errors.js';
import { connectRedisAtStartup } from './redis/startup.js';

/** Exit codes: 2 for a usage error (bad flag), 1 for a bad config or Redis not reachable. */
function fail(message: string, code = 1): never {
  process.stderr.write(`sharq-server: ${message}\n`);
  process.exit(code);
}

function usageError(message: string): never {
  return fail(message, USAGE_EXIT_CODE);
}

async function startPrimary(): Promise<void> {
  // The migrate command (and msgpack) is loaded only when asked for: the server never needs it.
  if (hideBin(process.argv)[0] === 'migrate') await (await import('./migrate/command.js')).runMigrateCommand(hideBin(process.argv).slice(1));
  const { configPath, overrides } = parseCliArgs(hideBin(process.argv), process.env, usageError);
  if (!configPath) usageError('no config file: pass --config PATH (or set SHARQ_CONFIG)');

  let config: Config;
  let warnings: string[];
  try {
    ({ config, warnings } = loadConfig(configPath, process.env, overrides));
  } catch (error) {
    if (error instanceof FlagValueError) usageError(error.message);
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const logger = createLogger(config.server.logLevel, 'primary');
  exitOnUncaughtErrors(logger);
  for (const warning of warnings) logger.warn(warning);

  try {
    const redis = await connectRedisAtStartup(config, 'sharq-primary');
    await new Primary(config, redis, logger).start();
  } catch (error) {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    if (error instanceof StartupError) fail(error.message);
    throw error;
  }
}

await startPrimary();
