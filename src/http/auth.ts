// API tokens (SPEC 5.8): `Authorization: Bearer <token>` against [sharq-server] auth_tokens.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Reply } from './routes.js';

/** Paths answered without a token: liveness, health, the contract, and the console's static files. */
export function isPublicRequest(method: string | undefined, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return path === '/' || path === '/deepstatus/' || path === '/openapi.json' || path.startsWith('/ui/');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/**
 * Checks bearer tokens in constant time: the given token and every configured one are compared as
 * SHA-256 digests (equal lengths, as timingSafeEqual needs), and every configured token is compared,
 * so neither the length nor the position of a match shows in the timing. Tokens are kept only as digests.
 */
export class BearerAuth {
  private readonly digests: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  /** False when no token is configured: the API is open. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  allows(authorization: string | undefined): boolean {
    if (!this.enabled) return true;
    const match = BEARER.exec(authorization ?? '');
    const given = digest(match?.[1] ?? '');
    let matched = false;
    for (const expected of this.digests) matched = timingSafeEqual(expected, given) || matched;
    return matched && match !== null;
  }
}

export const WWW_AUTHENTICATE = 'Bearer realm="sharq-server"';

export function unauthorizedReply(authorization: string | undefined): Reply {
  const message =
    authorization === undefined
      ? 'authentication required: send Authorization: Bearer <token>'
      : 'invalid token in Authorization: expected Bearer <token> with a configured token';
  return { status: 401, body: { status: 'failure', message } };
}
