// The command line of sharq-server, parsed in one place: by the CLI itself and by the container
// health check, which reads the server's own argv to find the port it listens on.
import yargs from 'yargs';
import { LOG_LEVELS, type ConfigOverrides } from './config/config.js';
import { VERSION } from './paths.js';

/** Exit code of a usage error (bad flag, missing --config): the shell convention, apart from 1 (config, Redis). */
export const USAGE_EXIT_CODE = 2;

export interface CliArgs {
  /** --config, else SHARQ_CONFIG; undefined when neither is given. */
  configPath: string | undefined;
  overrides: ConfigOverrides;
}

/**
 * Parses argv (without node and the script). Usage errors go to `onUsageError` as one line;
 * --help and --version print and exit 0 unless `exitProcess` is false.
 */
export function parseCliArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  onUsageError: (message: string) => never,
  exitProcess = true,
): CliArgs {
  const args = yargs(argv)
    .scriptName('sharq-server')
    .usage('$0 --config sharq.conf\n\nSharQ Server: a rate-limited queue server on Redis.')
    .command('migrate', "move a Python SharQ's queues into this server's layout (see sharq-server migrate --help)")
    .option('config', {
      alias: 'c',
      type: 'string',
      describe: 'Path of the SharQ configuration file (or SHARQ_CONFIG)',
    })
    .option('host', { type: 'string', describe: 'Override [sharq-server] host' })
    // Strings, validated by the config loader: a number type would turn `abc` into NaN.
    .option('port', { type: 'string', describe: 'Override [sharq-server] port' })
    .option('workers', { type: 'string', describe: 'Override [sharq-server] workers' })
    .option('log-level', { type: 'string', choices: LOG_LEVELS, describe: 'Override [sharq-server] log_level' })
    .version(VERSION)
    .alias('version', 'v')
    .help()
    .alias('help', 'h')
    .strict()
    .exitProcess(exitProcess)
    // Without this an unknown --some-flag is reported twice ("some-flag, someFlag").
    .parserConfiguration({ 'camel-case-expansion': false })
    // yargs words some errors over several lines (invalid choices); the contract is one line.
    .fail((message, error) => onUsageError((error ? error.message : `${message} (see --help)`).replace(/\s*\n\s*/g, ' ')))
    .parseSync();

  const overrides: ConfigOverrides = {};
  if (args.host !== undefined) overrides.host = args.host;
  if (args.port !== undefined) overrides.port = args.port;
  if (args.workers !== undefined) overrides.workers = args.workers;
  if (args['log-level'] !== undefined) overrides.logLevel = args['log-level'];
  const fromEnv = env.SHARQ_CONFIG?.trim();
  return { configPath: args.config ?? (fromEnv === '' ? undefined : fromEnv), overrides };
}
