// INI reading. The `ini` package treats `key : value` as a bare key, and SharQ's own samples use
// that form with inline `;` comments, so this is a small parser in the spirit of Python's
// ConfigParser instead.
import { ConfigError } from '../errors.js';

interface IniValue {
  value: string;
  line: number;
}

export type IniFile = Map<string, Map<string, IniValue>>;

// A comment inside a line must follow whitespace so values like `pa;ss` or `a#b` stay intact.
const INLINE_COMMENT = /\s[;#]/;

export function parseIni(text: string, file: string): IniFile {
  const sections: IniFile = new Map();
  let current: Map<string, IniValue> | undefined;
  let currentName = '';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const lineNo = index + 1;
    const line = rawLine.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    if (line.startsWith('[')) {
      const close = line.indexOf(']');
      const after = close < 0 ? '' : line.slice(close + 1).trim();
      const name = close < 0 ? '' : line.slice(1, close).trim();
      if (name === '' || (after !== '' && !after.startsWith(';') && !after.startsWith('#'))) {
        throw new ConfigError(`${file}: line ${lineNo}: malformed section header ${JSON.stringify(line)}`);
      }
      currentName = name;
      // A repeated section header continues the same section, as in Python 2's ConfigParser.
      current = sections.get(name) ?? new Map<string, IniValue>();
      sections.set(name, current);
      return;
    }
    const sep = line.search(/[:=]/);
    if (sep <= 0) {
      throw new ConfigError(
        `${file}: line ${lineNo}: expected "key : value", "key = value", "[section]" or a comment, got ${JSON.stringify(line)}`,
      );
    }
    const key = line.slice(0, sep).trim();
    let value = line.slice(sep + 1);
    const comment = value.search(INLINE_COMMENT);
    if (comment >= 0) value = value.slice(0, comment);
    value = value.trim();
    if (current === undefined) {
      throw new ConfigError(`${file}: line ${lineNo}: key "${key}" appears before any [section] header`);
    }
    const previous = current.get(key);
    if (previous !== undefined) {
      // Silently keeping one of two values hides mistakes; Python 3's ConfigParser refuses too.
      throw new ConfigError(
        `${file}: [${currentName}] ${key}: duplicate key (lines ${previous.line} and ${lineNo})`,
      );
    }
    current.set(key, { value, line: lineNo });
  });
  return sections;
}
