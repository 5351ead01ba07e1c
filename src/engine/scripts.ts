// Loads lua/*.lua and registers each script once per connection. How many KEYS a script takes is
// read from its own header (the `-- KEYS[n]` lines), so there is no second list to keep in step.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { luaDir } from '../paths.js';
import { pruneUnusedFunctions } from './lua-prune.js';
import { changesJobs, waitForReplicas, type ReplicaAck } from './replica-ack.js';

export type RedisClient = Redis | Cluster;
export type ScriptArg = string | number;
export type ScriptCall = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

/** Called after each script call with its duration; feeds the Redis latency histogram. */
export type CommandObserver = (command: string, seconds: number) => void;

const INCLUDE = /^-- @include ([a-z_]+)\s*$/m;
const DECLARED_KEY = /^-- KEYS\[(\d+)\]/gm;

/**
 * A script's source with its `-- @include name` lines replaced by lua/include/name.lua, less the
 * included functions it never calls (see lua-prune.ts).
 */
export function loadScriptSource(name: string): string {
  let source = readFileSync(path.join(luaDir, `${name}.lua`), 'utf8');
  for (let match = INCLUDE.exec(source); match; match = INCLUDE.exec(source)) {
    const included = readFileSync(path.join(luaDir, 'include', `${match[1]}.lua`), 'utf8');
    source = source.replace(match[0], () => included);
  }
  return pruneUnusedFunctions(source);
}

/** The number of KEYS a script declares in its header. */
export function declaredKeyCount(source: string): number {
  let count = 0;
  for (const match of source.matchAll(DECLARED_KEY)) count = Math.max(count, Number(match[1]));
  return count;
}

type DefinedCommand = (...keysAndArgs: ScriptArg[]) => Promise<unknown>;

/**
 * Registers a script on the client with defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT)
 * and returns its caller; a call with the wrong number of keys fails before reaching Redis.
 */
export function defineScript(
  redis: RedisClient,
  name: string,
  observe?: CommandObserver,
  replicaAck?: ReplicaAck,
): ScriptCall {
  const command = `sharq_${name}`;
  const source = loadScriptSource(name);
  const numberOfKeys = declaredKeyCount(source);
  if (!(command in redis)) redis.defineCommand(command, { numberOfKeys, lua: source });
  const call = (redis as unknown as Record<string, DefinedCommand>)[command];
  if (!call) throw new Error(`script ${name} could not be registered`);
  const evalsha = call.bind(redis);
  // A node without the script in its cache (restarted, or a replica promoted by a failover) answers
  // NOSCRIPT, and ioredis does not fall back to EVAL for auto-pipelined calls. NOSCRIPT means the
  // script did not run, so running its source once with EVAL (which caches it there) is safe.
  const direct = async (...keysAndArgs: ScriptArg[]): Promise<unknown> => {
    try {
      return await evalsha(...keysAndArgs);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(source, numberOfKeys, ...keysAndArgs);
    }
  };
  // With min_replicas_ack, a job state change is answered only once WAIT confirmed it (SPEC 5.9).
  const ack = replicaAck !== undefined && replicaAck.replicas > 0 && changesJobs(name) ? replicaAck : undefined;
  const bound =
    ack === undefined
      ? direct
      : async (...keysAndArgs: ScriptArg[]): Promise<unknown> => {
          const reply = await direct(...keysAndArgs);
          await waitForReplicas(redis, String(keysAndArgs[0]), ack);
          return reply;
        };
  return async (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`script ${name} takes ${numberOfKeys} keys, got ${keys.length}`);
    if (!observe) return bound(...keys, ...args);
    const started = process.hrtime.bigint();
    try {
      return await bound(...keys, ...args);
    } finally {
      observe(name, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

/**
 * A fixed set of scripts, all defined on one connection when the set is made. Up front on purpose:
 * ioredis copies the defined scripts into an auto-pipeline when it creates one, so a script first
 * defined while a pipeline is pending is missing from it and the call crashes the process
 * ("pipeline[functionName] is not a function").
 */
export class ScriptSet<Name extends string> {
  private readonly calls = new Map<Name, ScriptCall>();

  constructor(redis: RedisClient, names: readonly Name[], observe?: CommandObserver, replicaAck?: ReplicaAck) {
    for (const name of names) this.calls.set(name, defineScript(redis, name, observe, replicaAck));
  }

  get(name: Name): ScriptCall {
    const call = this.calls.get(name);
    if (!call) throw new Error(`script ${name} is not in this set`);
    return call;
  }
}
