import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { luaDir } from '../paths.js';
import { waitForReplicas, type ReplicaAck } from './replica-ack.js';

export type RedisClient = Redis | Cluster;

/** Number of KEYS each script in lua/ declares (see the header of each file). */
const NUMBER_OF_KEYS = {
  enqueue: 6,
  dequeue: 4,
  finish: 5,
  interval: 3,
  requeue: 5,
  clear_queue: 7,
  lock_renew: 1,
  lock_release: 1,
} as const;

export type ScriptName = keyof typeof NUMBER_OF_KEYS;

/** Scripts that change jobs: with min_replicas_ack, each is followed by WAIT (the lock's are not). */
const JOB_STATE_CHANGES: ReadonlySet<ScriptName> = new Set(['enqueue', 'dequeue', 'finish', 'interval', 'requeue', 'clear_queue']);
export const SCRIPT_NAMES = Object.keys(NUMBER_OF_KEYS) as ScriptName[];

export type ScriptArg = string | number;
export type ScriptCall = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;
export type Scripts = Record<ScriptName, ScriptCall>;

/** Called after each script call with its duration; feeds the Redis latency histogram. */
export type CommandObserver = (command: string, seconds: number) => void;

const INCLUDE = /^-- @include ([a-z_]+)\s*$/m;

/** A script's source with its `-- @include name` lines replaced by lua/include/name.lua. */
export function loadScriptSource(name: ScriptName): string {
  let source = readFileSync(path.join(luaDir, `${name}.lua`), 'utf8');
  for (let match = INCLUDE.exec(source); match; match = INCLUDE.exec(source)) {
    const included = readFileSync(path.join(luaDir, 'include', `${match[1]}.lua`), 'utf8');
    source = source.replace(match[0], () => included);
  }
  return source;
}

type DefinedCommand = (...keysAndArgs: ScriptArg[]) => Promise<unknown>;

/**
 * Registers every script once on the client with defineCommand (EVALSHA, falling back to EVAL
 * on NOSCRIPT) and returns typed callers.
 */
export function defineScripts(redis: RedisClient, observe?: CommandObserver, replicaAck?: ReplicaAck): Scripts {
  const scripts = {} as Scripts;
  for (const name of SCRIPT_NAMES) {
    const command = `sharq_${name}`;
    const numberOfKeys = NUMBER_OF_KEYS[name];
    if (!(command in redis)) {
      redis.defineCommand(command, { numberOfKeys, lua: loadScriptSource(name) });
    }
    const call = (redis as unknown as Record<string, DefinedCommand>)[command];
    if (!call) throw new Error(`script ${name} could not be registered`);
    const direct = call.bind(redis);
    const ack = replicaAck !== undefined && replicaAck.replicas > 0 && JOB_STATE_CHANGES.has(name) ? replicaAck : undefined;
    const bound = ack === undefined ? direct : async (...keysAndArgs: ScriptArg[]) => {
      const reply = await direct(...keysAndArgs);
      await waitForReplicas(redis, String(keysAndArgs[0]), ack);
      return reply;
    };
    scripts[name] = async (keys, args) => {
      if (keys.length !== numberOfKeys) {
        throw new Error(`script ${name} takes ${numberOfKeys} keys, got ${keys.length}`);
      }
      if (!observe) return bound(...keys, ...args);
      const started = process.hrtime.bigint();
      try {
        return await bound(...keys, ...args);
      } finally {
        observe(name, Number(process.hrtime.bigint() - started) / 1e9);
      }
    };
  }
  return scripts;
}
