// GET /openapi.json: the OpenAPI document shipped at the package root, read once on first use and
// sent as the same bytes every time (it is the file in the repository, not a copy).
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../../paths.js';
import type { Reply } from '../types.js';

export const OPENAPI_PATH = path.join(packageRoot, 'openapi.json');

let documentText: string | undefined;

/** GET /openapi.json: no token, no Redis, always 200. */
export async function openapiDocument(): Promise<Reply> {
  documentText ??= readFileSync(OPENAPI_PATH, 'utf8');
  return { status: 200, body: documentText };
}
