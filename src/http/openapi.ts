// GET /openapi.json: the OpenAPI document shipped at the package root, read once on first use and
// sent as the same bytes every time (it is the file in the repository, not a copy).
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../paths.js';

export const OPENAPI_PATH = path.join(packageRoot, 'openapi.json');

let documentText: string | undefined;

/** The document as JSON text (already serialised, so the reply module sends it as is). */
export function openapiDocumentText(): string {
  documentText ??= readFileSync(OPENAPI_PATH, 'utf8');
  return documentText;
}

/** The route handler: no auth, no Redis, always 200. */
export async function openapiDocument(): Promise<{ status: number; body: string }> {
  return { status: 200, body: openapiDocumentText() };
}
