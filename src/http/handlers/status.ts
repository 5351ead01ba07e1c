import { RedisUnavailableError } from '../../errors.js';
import type { Reply, RouteInput, RouteDeps } from '../types.js';

/** GET / */
export async function index(): Promise<Reply> {
  return { status: 200, body: { message: 'Hello, SharQ!' } };
}

/** GET /deepstatus/: 200 only when Redis answers and accepts writes. */
export async function deepStatus(_input: RouteInput, { engine }: RouteDeps): Promise<Reply> {
  try {
    await engine.health();
  } catch (error) {
    throw new RedisUnavailableError(`Redis is unavailable: ${(error as Error).message}`, { cause: error });
  }
  return { status: 200, body: { status: 'success' } };
}
