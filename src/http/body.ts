import type { IncomingMessage } from 'node:http';
import { HttpError } from '../errors.js';

export type JsonObject = Record<string, unknown>;

/**
 * The request body as a JSON object. Like the original server, the Content-Type is not required
 * to be JSON: clients that send a bare body keep working.
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** max_queued_length may come at the top level of a job or inside its payload, as the original reads it. */
export function maxQueuedLengthOf(job: JsonObject): unknown {
  if (job.max_queued_length !== undefined) return job.max_queued_length;
  return isJsonObject(job.payload) ? job.payload.max_queued_length : undefined;
}

export function jsonObjectBody(body: Buffer | undefined, { optional = false } = {}): JsonObject {
  const text = body ? body.toString('utf8') : '';
  // Empty means no bytes but JSON's own whitespace: a lone byte-order mark is a body that is not JSON.
  if (/^[ \t\r\n]*$/.test(text)) {
    if (optional) return {};
    throw new HttpError(400, 'request body is missing: expected a JSON object');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  return parsed as JsonObject;
}

/** Reads a request body up to limitBytes; beyond it, a 413 (and the rest is not read). */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') {
    return Promise.reject(new HttpError(415, `Content-Encoding ${encoding} is not supported: send the body uncompressed`));
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) return Promise.reject(tooLarge(limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off('data', onData);
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, `request body too large: the limit is ${limitBytes} bytes`);
}
