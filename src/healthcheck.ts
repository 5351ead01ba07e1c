#!/usr/bin/env node
// Container health check: GET /deepstatus/ on the port the running server really listens on.
// It reads the server's own command line, environment and working directory from /proc (PID 1 in
// a container, or the sharq-server process under an init), then resolves the config exactly as
// the server did, so a mounted config file, `--port` and SHARQ_PORT are all followed.
// Exit 0 healthy, 1 not.
//   node dist/healthcheck.js [--pid N] [--timeout-ms N]
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { parseCliArgs } from './cli-args.js';
import { loadConfig } from './config/config.js';

function unhealthy(message: string): never {
  process.stderr.write(`sharq-server healthcheck: ${message}\n`);
  process.exit(1);
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at < 0 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) unhealthy(`${name} expects a positive integer`);
  return value;
}

/** NUL-separated /proc fields (cmdline, environ). */
function procList(pid: number, file: string): string[] {
  return readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter((item) => item !== '');
}

function serverEnvironment(pid: number): NodeJS.ProcessEnv {
  try {
    return Object.fromEntries(
      procList(pid, 'environ').map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
  } catch {
    return process.env; // not readable: the container's environment is ours too
  }
}

/** Where to connect: a wildcard listen address is reached on loopback. */
function probeHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

const isServer = (argv: string[]): number => argv.findIndex((arg) => /cli\.[jt]s$/.test(arg) || arg.endsWith('sharq-server'));

/**
 * PID 1, unless an init (`docker run --init`, tini) runs there: then the lowest-numbered
 * sharq-server process (the primary, or a worker: workers share its argv and config).
 */
function serverPid(): number {
  if (process.argv.includes('--pid')) return option('--pid', 1);
  try {
    if (isServer(procList(1, 'cmdline')) >= 0) return 1;
  } catch {
    // fall through to the scan
  }
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b)) {
    try {
      if (entry !== process.pid && isServer(procList(entry, 'cmdline')) >= 0) return entry;
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return 1;
}

async function main(): Promise<void> {
  const pid = serverPid();
  const timeoutMs = option('--timeout-ms', 2500);
  let argv: string[];
  let cwd: string;
  try {
    argv = procList(pid, 'cmdline');
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch (error) {
    unhealthy(`cannot read process ${pid}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const script = isServer(argv);
  if (script < 0) unhealthy(`process ${pid} is not sharq-server: ${argv.join(' ')}`);
  const env = serverEnvironment(pid);
  const { configPath, overrides } = parseCliArgs(argv.slice(script + 1), env, unhealthy, false);
  if (configPath === undefined) unhealthy(`process ${pid} has no --config`);
  const { config } = loadConfig(path.resolve(cwd, configPath), env, overrides);
  const url = `http://${probeHost(config.server.host)}:${config.server.port}/deepstatus/`;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).catch((error: unknown) =>
    unhealthy(`${url}: ${error instanceof Error ? error.message : String(error)}`),
  );
  if (res.status !== 200) unhealthy(`${url}: HTTP ${res.status}`);
  process.exit(0);
}

await main().catch((error: unknown) => unhealthy(error instanceof Error ? error.message : String(error)));
