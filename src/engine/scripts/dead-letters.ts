// dead_list.lua, dead_replay.lua, dead_delete.lua and dead_migrate.lua: the dead letters of a type.
import { typeKeys } from '../keys.js';
import { int, list, text } from './reply.js';
import { ScriptSet, type ScriptContext } from './runner.js';

export interface DeadPageReply {
  /** [member "<qid>:<jid>", entry] newest first. */
  entries: [string, string][];
  /** undefined on the last page. */
  nextCursor?: string;
}

export interface ReplayReply {
  replayed: number;
  skipped: number;
  /** For "all": where the next call starts; undefined when done. */
  nextCursor?: string;
}

type DeadScript = 'dead_list' | 'dead_replay' | 'dead_delete' | 'dead_migrate';

export class DeadLetterScripts {
  private readonly scripts: ScriptSet<DeadScript>;

  constructor(private readonly context: ScriptContext) {
    this.scripts = new ScriptSet(context, ['dead_list', 'dead_replay', 'dead_delete', 'dead_migrate']);
  }

  async list(queueType: string, cursor: string, limit: number): Promise<DeadPageReply> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list('dead_list', await this.scripts.get('dead_list')([t.deadIndex, t.deadJobs], [cursor, limit]), 1);
    const entries: [string, string][] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) entries.push([text('dead_list', reply[i]), text('dead_list', reply[i + 1])]);
    const next = text('dead_list', reply[0]);
    return next === '' ? { entries } : { entries, nextCursor: next };
  }

  /** Replays the named dead letters ("<qid>:<jid>"), or with `all` the oldest `batch` after `cursor`. */
  async replay(queueType: string, what: { members: string[] } | { all: { cursor: string; batch: number } }): Promise<ReplayReply> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const args = 'members' in what ? ['ids', ...what.members] : ['all', what.all.cursor, what.all.batch];
    const reply = list('dead_replay', await this.scripts.get('dead_replay')([t.deadIndex], args), 3);
    const next = text('dead_replay', reply[2]);
    return {
      replayed: int('dead_replay', reply[0]),
      skipped: int('dead_replay', reply[1]),
      ...(next === '' ? {} : { nextCursor: next }),
    };
  }

  async delete(queueType: string, batch: number): Promise<{ deleted: number; more: boolean }> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list('dead_delete', await this.scripts.get('dead_delete')([t.deadIndex, t.deadJobs], [batch]), 2);
    return { deleted: int('dead_delete', reply[0]), more: int('dead_delete', reply[1]) === 1 };
  }

  /** Moves a step of the dead-letter LIST of earlier versions into the current store. */
  async migrate(queueType: string, batch: number, deadLetterLimit: number): Promise<{ moved: number; left: number }> {
    const t = typeKeys(this.context.keyPrefix, queueType);
    const reply = list('dead_migrate', await this.scripts.get('dead_migrate')([t.dead, t.deadIndex], [batch, deadLetterLimit]), 2);
    return { moved: int('dead_migrate', reply[0]), left: int('dead_migrate', reply[1]) };
  }
}
