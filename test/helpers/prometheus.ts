// A small validator and reader of the Prometheus text exposition format (version 0.0.4).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    LABEL.lastIndex = at;
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels in: ${line}`);
    const [, key = '', value = ''] = m;
    if (key in labels) throw new Error(`duplicate label ${key} in: ${line}`);
    labels[key] = value.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    at = LABEL.lastIndex;
    if (text[at] === ',') at += 1;
    else if (at !== text.length) throw new Error(`bad labels in: ${line}`);
  }
  return labels;
}

// A sample value as Prometheus reads it: Go's strconv.ParseFloat(s, 64), less any text with
// 'p', 'P' or '_' (no hexadecimal floats, no digit separators). So NaN and the infinities may be
// in any letter case ('Nan', which prom-client writes, 'nan', 'NAN'), the infinities may be signed
// and spelled 'inf' or 'infinity' ('+Inf', '-inf', 'Infinity'), NaN takes no sign, and a decimal
// too large for a float64 ('1e400') is a range error, not +Inf.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/** The value of a sample's value text, or undefined where Prometheus would refuse it. */
export function parseValue(text: string): number | undefined {
  if (text.toLowerCase() === 'nan') return NaN;
  const inf = INFINITY.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Parses and validates; throws with the offending line on any violation. */
export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const parts = line.split(' ');
      if (parts[1] === 'TYPE') {
        const [, , name = '', type = ''] = parts;
        if (!NAME.test(name) || !TYPES.has(type)) throw new Error(`bad TYPE line: ${line}`);
        if (types.has(name)) throw new Error(`second TYPE for ${name}`);
        types.set(name, type);
      } else if (parts[1] === 'HELP') {
        if (!NAME.test(parts[2] ?? '')) throw new Error(`bad HELP line: ${line}`);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, name = '', , labelText = '', rawValue = ''] = m;
    const value = parseValue(rawValue);
    if (value === undefined) throw new Error(`bad value in: ${line}`);
    const family = types.has(name) ? name : SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : '')).find((f) => f && types.has(f));
    if (!family) throw new Error(`sample before its TYPE: ${line}`);
    samples.push({ name, labels: parseLabels(labelText, line), value });
  }
  return { samples, types };
}

/** Sum of the samples of a name whose labels include `match`. */
export function sumOf(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
