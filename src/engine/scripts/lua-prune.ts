// Drops the top-level `local function`s a script never calls. A script's whole body runs on every
// call, so each function definition in it is a closure made anew each time: the ~40 shared helpers
// of lua/include/ cost every script several µs of Redis time per call while it uses a handful of
// them (issue 15). Pruning them keeps one place for the shared code and that time off Redis.

const FUNCTION_START = /^local function ([A-Za-z_][A-Za-z0-9_]*)\s*\(/;
const FUNCTION_END = /^end\s*$/;
/** `local function f(x) return x end` on one line. */
const ONE_LINE_FUNCTION = /\bend\s*$/;

interface Block {
  /** The function's name; undefined for the text between functions (always kept). */
  name?: string;
  lines: string[];
}

/**
 * The source cut into top-level functions (from `local function f(` to the first line that is `end`,
 * or one line ending in `end`) and the text between.
 */
function blocks(source: string): Block[] {
  const lines = source.split('\n');
  const out: Block[] = [];
  let text: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const start = FUNCTION_START.exec(lines[i] as string);
    if (!start) {
      text.push(lines[i] as string);
      continue;
    }
    let end = i;
    if (!ONE_LINE_FUNCTION.test(lines[i] as string)) {
      end += 1;
      while (end < lines.length && !FUNCTION_END.test(lines[end] as string)) end += 1;
    }
    if (end === lines.length) throw new Error(`Lua function ${start[1]} has no closing 'end' line`);
    out.push({ lines: text }, { name: start[1], lines: lines.slice(i, end + 1) });
    text = [];
    i = end;
  }
  out.push({ lines: text });
  return out;
}

/**
 * Lua code with its `--` comments removed, quoted strings kept (so a '--' inside one stays). The
 * scripts use no long brackets ([[ ]]); a block comment would only have its first line removed,
 * which can keep a function needlessly but never drop one in use.
 */
export function withoutComments(code: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < code.length; i += 1) {
    const ch = code[i] as string;
    if (quote !== undefined) {
      out += ch;
      if (ch === '\\') out += code[++i] ?? '';
      else if (ch === quote || ch === '\n') quote = undefined;
    } else if (ch === '-' && code[i + 1] === '-') {
      while (i + 1 < code.length && code[i + 1] !== '\n') i += 1;
    } else {
      if (ch === "'" || ch === '"') quote = ch;
      out += ch;
    }
  }
  return out;
}

/**
 * The source without the top-level functions that no kept code calls or mentions (by name, as a
 * whole word outside comments). The order is kept, so every kept function is still defined before
 * its first use.
 */
export function pruneUnusedFunctions(source: string): string {
  const all = blocks(source);
  const code = new Map(all.map((b) => [b, withoutComments(b.lines.join('\n'))]));
  const kept = new Set<Block>(all.filter((b) => b.name === undefined));
  let scanned = [...kept].map((b) => code.get(b)).join('\n');
  for (let grown = true; grown; ) {
    grown = false;
    for (const block of all) {
      if (kept.has(block) || !new RegExp(`\\b${block.name}\\b`).test(scanned)) continue;
      kept.add(block);
      scanned += `\n${code.get(block)}`;
      grown = true;
    }
  }
  return all
    .filter((b) => kept.has(b))
    .map((b) => b.lines.join('\n'))
    .join('\n');
}
