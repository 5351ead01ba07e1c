// lock_renew.lua and lock_release.lua: a lock changed only by its holder (compare-and-extend,
// compare-and-delete). The key is the caller's whole key name (src/engine/keys.ts globalKeys).
import { int } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';

export class LockScripts {
  private readonly scripts: ScriptSet<'lock_renew' | 'lock_release'>;

  constructor(context: Omit<ScriptContext, 'keyPrefix'>) {
    this.scripts = new ScriptSet(context, ['lock_renew', 'lock_release']);
  }

  /** Extends the lock's TTL if the holder still holds it. */
  async renew(key: string, holderId: string, ttlMs: number): Promise<boolean> {
    return int('lock_renew', await this.scripts.get('lock_renew')([key], [holderId, ttlMs])) === 1;
  }

  /** Deletes the lock if the holder holds it. */
  async release(key: string, holderId: string): Promise<boolean> {
    return int('lock_release', await this.scripts.get('lock_release')([key], [holderId])) === 1;
  }
}
