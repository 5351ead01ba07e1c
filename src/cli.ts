#!/usr/bin/env node
import cluster from 'node:cluster';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { VERSION } from './process/banner.js';
import { loadConfig, type ConfigOverrides } from './config/config.js';
import type { Config, LogLevel } from './interfaces.js';
import { createLogger } from './logger.js';
import { Primary } from './process/primary.js';
import { ConfigError, StartupError } from './errors.js';
import { connectRedisAtStartup } from './redis/startup.js';

const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'http', 'verbose', 'debug'];

function fail(message: string): never {
  process.stderr.write(`sharq-server: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv: string[]) {
  return yargs(argv)
    .scriptName('sharq-server')
    .usage('$0 --config sharq.conf\n\nSharQ Server: a rate-limited queue server on Redis.')
    .option('config', {
      alias: 'c',
      type: 'string',
      describe: 'Path of the SharQ configuration file (or SHARQ_CONFIG)',
    })
    .option('host', { type: 'string', describe: 'Override [sharq-server] host' })
    .option('port', { type: 'number', describe: 'Override [sharq-server] port' })
    .option('workers', { type: 'number', describe: 'Override [sharq-server] workers' })
    .option('log-level', { type: 'string', choices: LOG_LEVELS, describe: 'Override [sharq-server] log_level' })
    .version(VERSION)
    .alias('version', 'v')
    .help()
    .alias('help', 'h')
    .strict()
    // Without this an unknown --some-flag is reported twice ("some-flag, someFlag").
    .parserConfiguration({ 'camel-case-expansion': false })
    // yargs words some errors over several lines (invalid choices); the contract is one line.
    .fail((message, error) => fail((error ? error.message : `${message} (see --help)`).replace(/\s*\n\s*/g, ' ')))
    .parseSync();
}

async function startPrimary(): Promise<void> {
  const args = parseArgs(hideBin(process.argv));
  const configPath = args.config ?? process.env.SHARQ_CONFIG;
  if (!configPath) fail('no config file: pass --config PATH (or set SHARQ_CONFIG)');

  const overrides: ConfigOverrides = {};
  if (args.host !== undefined) overrides.host = args.host;
  if (args.port !== undefined) overrides.port = args.port;
  if (args.workers !== undefined) overrides.workers = args.workers;
  if (args['log-level'] !== undefined) overrides.logLevel = args['log-level'] as LogLevel;

  let config: Config;
  let warnings: string[];
  try {
    ({ config, warnings } = loadConfig(configPath, process.env, overrides));
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const logger = createLogger(config.server.logLevel, 'primary');
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
