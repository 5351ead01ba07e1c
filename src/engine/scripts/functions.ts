// Scripts run as Redis Functions (FCALL) on each connection until Redis shows it cannot: Redis before
// 7 or a renamed FCALL ("unknown command"), or an ACL that denies FCALL or FUNCTION LOAD. Then that
// connection runs them with EVALSHA, as before Functions, for as long as it lives.
//
// Libraries are loaded when first called: a call answered "Function not found" (a first call, a Redis
// restarted without persistence, a new Cluster master) did not run, so loading the library and
// calling again is safe. Libraries are named by a hash of their code, so servers of different
// versions sharing a Redis each call their own.
import type { RedisClient } from '../../redis/client.js';
import type { ScriptLibrary } from './lua-library.js';

const FUNCTION_NOT_FOUND = /^ERR Function not found/;
const ALREADY_LOADED = /^ERR Library '[^']*' already exists/;
const OUT_OF_MEMORY = /^OOM\b/;
/** Redis cannot run our functions at all, so calling again with EVALSHA is what is left. */
const FUNCTIONS_UNUSABLE =
  /^(ERR unknown command|NOPERM this user has no permissions to run the '(fcall|function\|load)' command)/i;

interface ConnectionFunctions {
  /** false once Redis showed it cannot run functions for this connection. */
  usable: boolean;
  /** Loads under way, by library name, so concurrent first calls load once. */
  loading: Map<string, Promise<void>>;
}

const connections = new WeakMap<RedisClient, ConnectionFunctions>();

function stateOf(redis: RedisClient): ConnectionFunctions {
  let state = connections.get(redis);
  if (!state) {
    state = { usable: true, loading: new Map() };
    connections.set(redis, state);
  }
  return state;
}

/** Loads the library on the node (every master of a Cluster); "already exists" is success. */
async function load(redis: RedisClient, library: ScriptLibrary): Promise<void> {
  const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
  await Promise.all(
    nodes.map((node) =>
      node.call('FUNCTION', 'LOAD', library.code).catch((error: unknown) => {
        if (!(error instanceof Error) || !ALREADY_LOADED.test(error.message)) throw error;
      }),
    ),
  );
}

function loadOnce(redis: RedisClient, state: ConnectionFunctions, library: ScriptLibrary): Promise<void> {
  let loading = state.loading.get(library.name);
  if (!loading) {
    loading = load(redis, library).finally(() => state.loading.delete(library.name));
    state.loading.set(library.name, loading);
  }
  return loading;
}

export type KeysAndArgs = (string | number)[];

/** How one script is called: its library, and the same script by EVALSHA for when functions cannot run. */
export interface FunctionCall {
  library: ScriptLibrary;
  numberOfKeys: number;
  viaEval: (...keysAndArgs: KeysAndArgs) => Promise<unknown>;
  /** Told why Redis cannot run functions, once per connection. */
  onEval?: (reason: string) => void;
}

/** Whether `error` says this connection cannot run functions; the first such error is told to onEval. */
function showsFunctionsUnusable(error: unknown, state: ConnectionFunctions, call: FunctionCall): boolean {
  if (!(error instanceof Error) || !FUNCTIONS_UNUSABLE.test(error.message)) return false;
  if (state.usable) {
    state.usable = false;
    call.onEval?.(error.message.replace(/, with args beginning with:.*$/s, ''));
  }
  return true;
}

/** After a refused FCALL: load the library when Redis lacks it and call again, or run the script by EVALSHA. */
async function recover(
  redis: RedisClient,
  state: ConnectionFunctions,
  call: FunctionCall,
  keysAndArgs: KeysAndArgs,
  error: unknown,
): Promise<unknown> {
  if (showsFunctionsUnusable(error, state, call)) return call.viaEval(...keysAndArgs);
  if (!(error instanceof Error) || !FUNCTION_NOT_FOUND.test(error.message)) throw error;
  try {
    await loadOnce(redis, state, call.library);
  } catch (loadError) {
    if (showsFunctionsUnusable(loadError, state, call)) return call.viaEval(...keysAndArgs);
    // At maxmemory Redis refuses FUNCTION LOAD but still runs an EVAL (whose script decides what it
    // may write), so dequeue and finish keep working until the library can be loaded.
    if (loadError instanceof Error && OUT_OF_MEMORY.test(loadError.message)) return call.viaEval(...keysAndArgs);
    throw loadError;
  }
  try {
    return await redis.fcall(call.library.name, call.numberOfKeys, ...keysAndArgs);
  } catch (again) {
    // Loaded, yet not found where the keys live: a Cluster master the client did not list yet.
    if (again instanceof Error && FUNCTION_NOT_FOUND.test(again.message)) return call.viaEval(...keysAndArgs);
    throw again;
  }
}

/** Calls the script's function with FCALL (loading its library when Redis lacks it), or by EVALSHA where functions cannot run. */
export async function callFunction(redis: RedisClient, call: FunctionCall, keysAndArgs: KeysAndArgs): Promise<unknown> {
  const state = stateOf(redis);
  if (!state.usable) return call.viaEval(...keysAndArgs);
  try {
    return await redis.fcall(call.library.name, call.numberOfKeys, ...keysAndArgs);
  } catch (error) {
    return recover(redis, state, call, keysAndArgs, error);
  }
}
