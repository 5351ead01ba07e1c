// The one door to Redis's scripts: loads lua/*.lua and makes each script's caller once per connection.
// Only the modules of this folder register scripts; each family module (enqueue.ts, dequeue.ts...)
// makes a ScriptSet of its own scripts, so a process registers just the families it uses. How many
// KEYS a script takes is read from its own header (the `-- KEYS[n]` lines): no second list to keep.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { luaDir } from '../../paths.js';
import type { RedisClient } from '../../redis/client.js';
import { pruneUnusedFunctions } from './lua-prune.js';
import type { TypeLimit } from '../../interfaces.js';
import { changesJobs, waitForReplicas, type ReplicaAck } from './replica-ack.js';
import { callFunction } from './functions.js';
import { scriptLibrary } from './lua-library.js';

export type ScriptArg = string | number;
export type ScriptCall = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

/** Called after each script call with its duration; feeds the Redis latency histogram. */
export type CommandObserver = (command: string, seconds: number) => void;

/** What every family of scripts is made with: the connection and how calls are run on it. */
export interface ScriptContext {
  redis: RedisClient;
  /** `[redis] key_prefix`: key names are built from it (src/engine/keys.ts). */
  keyPrefix: string;
  /** Told the duration of every script call (Prometheus latency histogram). */
  observe?: CommandObserver;
  /** With replicas > 0, job state changes are answered only once that many replicas have them. */
  replicaAck?: ReplicaAck;
  /** Told each time a type's limit held back a ready queue (the scripts that hand out jobs report it). */
  onRefused?: (queueType: string, limit: TypeLimit) => void;
  /** Told, once per connection, why Redis cannot run the scripts as functions (they run by EVALSHA). */
  onScriptsAsEval?: (reason: string) => void;
}

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
 * Returns a script's caller: FCALL of its library (functions.ts), or, where Redis cannot run
 * functions, EVALSHA of its source registered with defineCommand (falling back to EVAL on NOSCRIPT).
 * A call with the wrong number of keys fails before reaching Redis.
 */
function defineScript(name: string, context: Omit<ScriptContext, 'keyPrefix'>): ScriptCall {
  const { redis, observe, replicaAck, onScriptsAsEval } = context;
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
  const viaEval = async (...keysAndArgs: ScriptArg[]): Promise<unknown> => {
    try {
      return await evalsha(...keysAndArgs);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(source, numberOfKeys, ...keysAndArgs);
    }
  };
  const viaFunction = { library: scriptLibrary(name, source), numberOfKeys, viaEval, onEval: onScriptsAsEval };
  const direct = (...keysAndArgs: ScriptArg[]): Promise<unknown> => callFunction(redis, viaFunction, keysAndArgs);
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

  constructor(context: Omit<ScriptContext, 'keyPrefix'>, names: readonly Name[]) {
    for (const name of names) this.calls.set(name, defineScript(name, context));
  }

  get(name: Name): ScriptCall {
    const call = this.calls.get(name);
    if (!call) throw new Error(`script ${name} is not in this set`);
    return call;
  }
}
