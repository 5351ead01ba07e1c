// Shared by the test/deploy/*.test.ts files: where the repository is, and running the real tools
// (promtool, docker-compose, systemd-analyze, yamllint) that check the deploy files.
// .ci/run installs each of them when missing.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { parse as parseYaml } from 'yaml';

import { parseConfig, type LoadedConfig } from '../../src/config/config.js';
import { repoRoot } from '../helpers/server.js';

export const abs = (relative: string): string => path.resolve(repoRoot, relative);
export const readText = (relative: string): string => readFileSync(abs(relative), 'utf8');

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion (never throws on a non-zero exit; a missing tool fails with how to get it). */
export function runTool(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { cwd: options.cwd ?? repoRoot, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new Error(`${command} not found on PATH: .ci/run installs it (see there for the Debian package)`));
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** The tool must exit 0; the assertion message carries what it printed. */
export async function assertToolPasses(command: string, args: string[], input?: string): Promise<ToolRun> {
  const run = await runTool(command, args, input === undefined ? {} : { input });
  if (run.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  }
  return run;
}

/** The server's own config loader on a config text, with an empty environment (only the text counts). */
export function loadConfigText(text: string, name: string): LoadedConfig {
  return parseConfig(text, name, {});
}

/** yamllint with the project's rules, warnings counted as failures. */
export function yamllint(...files: string[]): Promise<ToolRun> {
  return assertToolPasses('yamllint', ['--strict', '-c', abs('deploy/yamllint.yml'), ...files.map(abs)]);
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | null>;
  ports?: { target: number; published?: number | string }[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
}
export interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * docker-compose.yml as docker-compose itself reads it (`docker-compose config`: paths resolved,
 * long syntax for ports and depends_on); fails on a schema error.
 */
export async function composeConfig(): Promise<Compose> {
  const run = await assertToolPasses('docker-compose', ['-f', abs('docker-compose.yml'), 'config']);
  return parseYaml(run.stdout) as Compose;
}

/** docker-compose config writes volumes as `source:target[:mode]`. */
export function mounts(s: ComposeService): { source: string; target: string }[] {
  return (s.volumes ?? []).map((v) => {
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });
}
