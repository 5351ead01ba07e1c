import type { Request } from 'express';
import { HttpError } from './errors.js';

export type JsonObject = Record<string, unknown>;

/**
 * The request body as a JSON object. Like the original server, the Content-Type is not required
 * to be JSON: clients that send a bare body keep working.
 */
export function jsonObjectBody(req: Request, { optional = false } = {}): JsonObject {
  const raw: unknown = req.body;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
  if (text.trim() === '') {
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
