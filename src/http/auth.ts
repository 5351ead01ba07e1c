// API tokens (SPEC 5.8): `Authorization: Bearer <token>` against [sharq-server] auth_tokens. Which
// routes are public is said by the route table (`public: true`), checked in src/http/listener.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Reply } from './types.js';

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

const WWW_AUTHENTICATE = 'Bearer realm="sharq-server"';

/** 401 for a route (not marked `public` in the table) called without a configured token. */
export function unauthorizedReply(authorization: string | undefined): Reply {
  const message =
    authorization === undefined
      ? 'authentication required: send Authorization: Bearer <token>'
      : 'invalid token in Authorization: expected Bearer <token> with a configured token';
  return { status: 401, body: { status: 'failure', message }, headers: { 'WWW-Authenticate': WWW_AUTHENTICATE } };
}
