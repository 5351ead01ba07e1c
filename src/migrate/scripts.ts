import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RedisClient } from '../engine/scripts.js';
import { luaDir } from '../paths.js';

// The migration scripts are not part of the engine's table (src/engine/scripts.ts): they run only in
// `sharq-server migrate`, and migrate_step/migrate_remove touch unhashed keys of the Python layout.
const NUMBER_OF_KEYS = { migrate_step: 15, migrate_write: 7, migrate_remove: 9 } as const;

export type MigrateScriptName = keyof typeof NUMBER_OF_KEYS;
export type MigrateScriptCall = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

const INCLUDE = /^-- @include ([a-z_]+)\s*$/m;

function scriptSource(name: MigrateScriptName): string {
  let source = readFileSync(path.join(luaDir, `${name}.lua`), 'utf8');
  for (let match = INCLUDE.exec(source); match; match = INCLUDE.exec(source)) {
    const included = readFileSync(path.join(luaDir, 'include', `${match[1]}.lua`), 'utf8');
    source = source.replace(match[0], () => included);
  }
  return source;
}

type DefinedCommand = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** Registers one migration script on the client (EVALSHA with EVAL fallback) and returns its caller. */
export function migrateScript(redis: RedisClient, name: MigrateScriptName): MigrateScriptCall {
  const command = `sharq_${name}`;
  const numberOfKeys = NUMBER_OF_KEYS[name];
  if (!(command in redis)) redis.defineCommand(command, { numberOfKeys, lua: scriptSource(name) });
  const bound = (redis as unknown as Record<string, DefinedCommand>)[command]!.bind(redis);
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`script ${name} takes ${numberOfKeys} keys, got ${keys.length}`);
    return bound(...keys, ...args);
  };
}
