import { decode } from '@msgpack/msgpack';

export interface DecodedPayload {
  /** The payload as JSON text, as this server stores it. */
  json: string;
  /** False when the bytes were not a msgpack value JSON can hold: then json is the bytes as a string. */
  decoded: boolean;
}

class NotJson extends Error {}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// Strings arrive as bytes (rawStrings), so invalid UTF-8 is caught here instead of turning into U+FFFD.
// msgpack's bin type arrives the same way: JSON has no bytes, and the Python SharQ never packs any
// from a JSON request, so bytes that are UTF-8 are taken as text.
function toJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new NotJson('NaN or Infinity');
      return JSON.stringify(value);
    case 'bigint':
      // 64-bit integers keep every digit; JSON text has no size limit.
      return value.toString();
    case 'string':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new NotJson(typeof value);
  }
  if (value instanceof Uint8Array) return JSON.stringify(strictUtf8.decode(value));
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (Object.getPrototypeOf(value) !== Object.prototype) throw new NotJson('extension type');
  const members = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`);
  return `{${members.join(',')}}`;
}

/** A raw string read as text if it is UTF-8, else byte for byte (latin1), so nothing is lost. */
function rawAsJsonString(raw: Buffer): string {
  let text: string;
  try {
    text = strictUtf8.decode(raw);
  } catch {
    text = raw.toString('latin1');
  }
  return JSON.stringify(text);
}

/**
 * The Python SharQ stores payloads msgpack-packed, or as given when msgpack could not pack them. A payload
 * that does not decode (or decodes to what JSON cannot hold) moves as a JSON string of its bytes.
 */
export function decodePayload(raw: Buffer): DecodedPayload {
  try {
    return { json: toJson(decode(raw, { useBigInt64: true, rawStrings: true })), decoded: true };
  } catch {
    return { json: rawAsJsonString(raw), decoded: false };
  }
}
