// deploy/Dockerfile and what the image runs: checked by a Dockerfile parser and linter
// (dockerfile-ast, dockerfile-utils), .dockerignore by Docker's own matching rules
// (@balena/dockerignore), and the image's start command and HEALTHCHECK run for real outside
// Docker (no Docker engine here) against a throwaway redis-server.

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import { DockerfileParser, type Copy, type Dockerfile, type Env, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

import { freePort } from '../helpers/ports.js';
import { spawnChild, waitWhileRunning } from '../helpers/process.js';
import { startRedis } from '../helpers/redis.js';
import { repoRoot, startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { abs, loadConfigText, readText, runTool } from './tools.js';

/** A server's start-up takes ~13 s at a load of 30 on 2 cores: a deadline for a loaded machine, not a hang. */
const START_TIMEOUT_MS = 90_000;
/** Tests that start servers: above the suite's 120 s default, for a loaded machine. */
const SLOW = { timeout: 300_000 };

// A CommonJS module whose types declare an ES default export: load it as what it is.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as typeof import('@balena/dockerignore').default;

/** Node.js 26 is the active LTS line since 2026-10-28 (24 moved to maintenance on 2026-10-20). */
const ACTIVE_LTS_MAJOR = 26;
const IMAGE_CONFIG_PATH = '/etc/sharq/sharq.conf';

const dockerfile = (): Dockerfile => DockerfileParser.parse(readText('deploy/Dockerfile'));

/** Instructions of the last stage (the runtime image). */
function runtimeStage(): Instruction[] {
  const df = dockerfile();
  const last = df.getFROMs().at(-1);
  assert.ok(last, 'no FROM');
  return df.getInstructions().filter((i) => i.getRange().start.line >= last.getRange().start.line);
}

function only(instructions: Instruction[], keyword: string): Instruction {
  const found = instructions.filter((i) => i.getKeyword() === keyword);
  assert.equal(found.length, 1, `expected one ${keyword} in the runtime stage`);
  return found[0] as Instruction;
}

/** ENTRYPOINT/CMD in exec form (a JSON array): in shell form signals would go to /bin/sh, not node. */
function execForm(instruction: Instruction): string[] {
  const strings = (instruction as JSONInstruction).getJSONStrings?.() ?? [];
  assert.ok(strings.length > 0, `${instruction.getKeyword()} must be in exec form (a JSON array)`);
  return strings.map((s) => s.getJSONValue());
}

/** HEALTHCHECK [flags] CMD ["exec", "form"]: the command's argv. */
function healthcheckCommand(instruction: Instruction): string[] {
  const words = instruction.getArguments().map((a) => a.getValue());
  assert.equal(words[0], 'CMD');
  const command: unknown = JSON.parse(words.slice(1).join(' '));
  assert.ok(Array.isArray(command) && command.every((w) => typeof w === 'string'), 'HEALTHCHECK CMD must be exec form');
  return command as string[];
}

/** The image's start command and ENV, with the baked-in config replaced by a copy on this machine. */
function imageStart(confCopy: string): { argv: string[]; env: Record<string, string> } {
  const runtime = runtimeStage();
  const argv = [...execForm(only(runtime, 'ENTRYPOINT')), ...execForm(only(runtime, 'CMD'))];
  assert.ok(argv.includes(IMAGE_CONFIG_PATH), 'the start command must name the baked-in config');
  const env: Record<string, string> = {};
  for (const instruction of runtime.filter((i): i is Env => i.getKeyword() === 'ENV')) {
    for (const property of instruction.getProperties()) {
      env[property.getName()] = property.getValue() ?? '';
    }
  }
  return { argv: argv.map((a) => (a === IMAGE_CONFIG_PATH ? confCopy : a)), env };
}

function withoutSharqEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('SHARQ_')));
}

/** Runs the image's HEALTHCHECK command here, against the process `pid` (PID 1 in the container). */
async function runHealthcheck(pid: number): Promise<{ code: number; stderr: string }> {
  const [exe = '', ...args] = healthcheckCommand(only(runtimeStage(), 'HEALTHCHECK'));
  assert.equal(exe, 'node');
  // The probe's own 2.5 s suits Docker's 3 s timeout; a loaded 2-core test machine needs longer.
  const run = await runTool(process.execPath, [...args, '--pid', String(pid), '--timeout-ms', '15000'], { timeoutMs: 30_000 });
  return { code: run.code, stderr: run.stderr };
}

describe('deploy/Dockerfile', () => {
  test('the Dockerfile linter (dockerfile-utils) reports nothing', () => {
    assert.deepEqual(validate(readText('deploy/Dockerfile')), []);
  });

  test('every stage is the active Node LTS, pinned to an exact release', () => {
    const froms = dockerfile().getFROMs();
    assert.ok(froms.length >= 2, 'expected a build and a runtime stage');
    for (const from of froms) {
      assert.equal(from.getImageName(), 'node');
      const tag = /^(\d+)\.(\d+)\.(\d+)-[a-z]+-slim$/.exec(from.getImageTag() ?? '');
      assert.ok(tag, `node:${from.getImageTag()} is not pinned to major.minor.patch-<debian>-slim`);
      assert.equal(Number(tag[1]), ACTIVE_LTS_MAJOR);
    }
    assert.equal(new Set(froms.map((f) => f.getImage())).size, 1, 'build and runtime on the same Node');
  });

  test('package.json engines.node admits the Node the tests run on and the image', () => {
    const engines = (JSON.parse(readText('package.json')) as { engines?: { node?: string } }).engines?.node;
    // What CI and this machine run (Node 20) is what is tested; the image runs a later LTS.
    assert.equal(engines, '>=20');
    assert.ok(Number(process.versions.node.split('.')[0]) >= 20, `tests run on Node ${process.versions.node}`);
  });

  test('runtime: non-root, exposes the config port, health check by the port-following script, SIGTERM', () => {
    const runtime = runtimeStage();
    const user = runtime.filter((i) => i.getKeyword() === 'USER').at(-1);
    assert.ok(user, 'no USER in the runtime stage');
    assert.doesNotMatch(user.getArgumentsContent() ?? '', /^(root|0)(:|$)/);
    const exposed = runtime.filter((i) => i.getKeyword() === 'EXPOSE').flatMap((i) => i.getArguments().map((a) => Number(a.getValue().replace(/\/tcp$/, ''))));
    const { config } = loadConfigText(readText('deploy/sharq.docker.conf'), 'sharq.docker.conf');
    assert.deepEqual(exposed, [config.server.port]);
    assert.deepEqual(healthcheckCommand(only(runtime, 'HEALTHCHECK')), ['node', 'dist/healthcheck.js']);
    assert.equal(only(runtime, 'STOPSIGNAL').getArgumentsContent(), 'SIGTERM');
    assert.deepEqual(execForm(only(runtime, 'ENTRYPOINT')), ['node', 'dist/cli.js']);
    assert.deepEqual(execForm(only(runtime, 'CMD')), ['--config', IMAGE_CONFIG_PATH]);
  });

  test('COPY: the runtime takes dist/ and node_modules from the build, the rest from a context .dockerignore keeps', () => {
    const ignore = dockerignore().add(readText('.dockerignore').split(/\r?\n/));
    for (const hostArtefact of ['node_modules', 'dist', '.git']) assert.ok(ignore.ignores(hostArtefact), `.dockerignore must exclude ${hostArtefact}`);
    const copies = dockerfile().getInstructions().filter((i): i is Copy => i.getKeyword() === 'COPY');
    const runtimeLine = dockerfile().getFROMs().at(-1)?.getRange().start.line ?? 0;
    const fromBuild: string[] = [];
    for (const copy of copies) {
      const sources = copy.getArguments().map((a) => a.getValue()).slice(0, -1);
      if (copy.getFromFlag()) {
        if (copy.getRange().start.line > runtimeLine) fromBuild.push(...sources.map((s) => path.posix.basename(s)));
        continue;
      }
      for (const source of sources) {
        const relative = path.posix.normalize(source).replace(/\/+$/, '');
        assert.ok(existsSync(abs(relative)), `COPY source ${source} does not exist`);
        assert.ok(!ignore.ignores(relative), `COPY source ${source} is excluded by .dockerignore`);
      }
    }
    assert.deepEqual(fromBuild.sort(), ['dist', 'node_modules']);
    const runtimeSources = copies.filter((c) => c.getRange().start.line > runtimeLine && !c.getFromFlag()).flatMap((c) => c.getArguments().map((a) => a.getValue()));
    for (const needed of ['lua', 'package.json', 'deploy/sharq.docker.conf']) assert.ok(runtimeSources.includes(needed), `runtime stage lacks ${needed}`);
  });
});

describe('deploy/sharq.docker.conf', () => {
  test('loads with the server loader: all interfaces, port 8080, 4 workers, access log on stdout, the compose redis', () => {
    const { config, warnings } = loadConfigText(readText('deploy/sharq.docker.conf'), 'sharq.docker.conf');
    assert.deepEqual(warnings, []);
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.workers, 4);
    assert.equal(config.server.accesslog, '-');
    assert.equal(config.redis.host, 'redis');
    assert.equal(config.redis.connType, 'tcp_sock');
  });
});

describe('the image, run outside Docker', () => {
  test('its start command serves, logs requests on stdout, is healthy by its HEALTHCHECK, exits 0 on SIGTERM', SLOW, async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'sharq-image-'));
    const confCopy = path.join(tmp, 'sharq.conf');
    copyFileSync(abs('deploy/sharq.docker.conf'), confCopy);
    const { argv, env: imageEnv } = imageStart(confCopy);
    const [exe = '', ...args] = argv;
    const redis = await startRedis();
    const port = await freePort();
    const child = spawnChild('image start command', exe === 'node' ? process.execPath : exe, args, {
      cwd: repoRoot, // plays the image's WORKDIR, which holds the same dist/, lua/, package.json
      env: {
        ...withoutSharqEnv(process.env),
        ...imageEnv,
        // As `docker run -e`: the config's 0.0.0.0:8080 and compose's redis do not exist here.
        SHARQ_REDIS_HOST: '127.0.0.1',
        SHARQ_REDIS_PORT: String(redis.port),
        SHARQ_HOST: '127.0.0.1',
        SHARQ_PORT: String(port),
        SHARQ_WORKERS: '2',
      },
    });
    const output = (): string => child.output();
    try {
      await waitWhileRunning(child, () => output().includes(`Listening on: 127.0.0.1:${port}`), {
        what: 'the image start command to listen',
        timeoutMs: START_TIMEOUT_MS,
      });

      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^sharq_/m);
      // The access log is on stdout (accesslog : -), in the combined format, and no file named "-" appears.
      await waitFor(() => /"GET \/metrics HTTP\/1\.1" 200 /.test(output()), { what: 'the access log line on stdout', timeoutMs: 10_000 });
      assert.ok(!existsSync(path.join(repoRoot, '-')), 'a file named "-" was written');

      // SHARQ_PORT is in the server's environment only: the health check reads it from there.
      const healthy = await runHealthcheck(child.pid);
      assert.equal(healthy.code, 0, healthy.stderr);

      // As `docker stop`: SIGTERM to the entrypoint process only (SIGKILL of the tree after 25 s).
      assert.equal(await child.stop('SIGTERM', 25_000), 0, output());
      assert.equal((await runHealthcheck(child.pid)).code, 1, 'unhealthy once the server is gone');
    } finally {
      await child.stop('SIGKILL');
      await redis.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('the HEALTHCHECK follows --port over the config file port, and fails while Redis is down', SLOW, async () => {
    const redis = await startRedis();
    const flagPort = await freePort();
    // noWait: the helper waits for the config file's port, and --port moves the server elsewhere.
    const server = await startServer({ redisPort: redis.port, args: ['--port', String(flagPort)], noWait: true, startTimeoutMs: START_TIMEOUT_MS });
    try {
      await waitFor(() => server.child.exitCode !== null || server.stdout().includes(`Listening on: 127.0.0.1:${flagPort}`), {
        what: `the server to listen on --port ${flagPort}`,
        timeoutMs: START_TIMEOUT_MS,
      });
      assert.equal(server.child.exitCode, null, server.stderr());
      const healthy = await runHealthcheck(server.child.pid ?? 0);
      assert.equal(healthy.code, 0, healthy.stderr);
      // Redis down: /deepstatus/ answers 503, so the container is unhealthy.
      await redis.kill();
      const sick = await waitFor(async () => {
        const run = await runHealthcheck(server.child.pid ?? 0);
        return run.code === 1 ? run : undefined;
      }, { what: 'the health check to fail while Redis is down', timeoutMs: START_TIMEOUT_MS, intervalMs: 500 });
      assert.match(sick.stderr, new RegExp(`127\\.0\\.0\\.1:${flagPort}/deepstatus/: HTTP 503`));
    } finally {
      await server.stop();
      await redis.stop();
    }
  });
});
