// Checked decoding of Redis replies: every family module turns a script's reply into a named type
// through these (and the engine's plain reads use them too), so a reply that is not the shape its
// script's header (or the command) documents is an error, never a cast. `script` names the source.

export class ReplyShapeError extends Error {
  constructor(script: string, reply: unknown) {
    super(`script ${script} replied ${JSON.stringify(reply)}: not the shape its header documents`);
    this.name = 'ReplyShapeError';
  }
}

/** An array of at least `length` entries. */
export function list(script: string, reply: unknown, length: number): unknown[] {
  if (!Array.isArray(reply) || reply.length < length) throw new ReplyShapeError(script, reply);
  return reply;
}

export function int(script: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ReplyShapeError(script, value);
  return value;
}

export function text(script: string, value: unknown): string {
  if (typeof value !== 'string') throw new ReplyShapeError(script, value);
  return value;
}

/** A score as Redis returns it (a string), as a number. */
export function score(script: string, value: unknown): number {
  const n = Number(text(script, value));
  if (!Number.isFinite(n)) throw new ReplyShapeError(script, value);
  return n;
}

/** One of the given words. */
export function oneOf<Word extends string>(script: string, value: unknown, words: readonly Word[]): Word {
  const word = words.find((w) => w === value);
  if (word === undefined) throw new ReplyShapeError(script, value);
  return word;
}

/** A string or Redis's nil. */
export function optionalText(script: string, value: unknown): string | null {
  return value === null ? null : text(script, value);
}

/** An array of strings. */
export function texts(script: string, value: unknown): string[] {
  return list(script, value, 0).map((entry) => text(script, entry));
}
