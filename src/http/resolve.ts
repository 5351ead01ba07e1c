// Turns (method, path) into the route that answers it, or into the reply the table implies:
// 404 unknown path, 405 known path with another method, 308 known path without its trailing
// slash, 200 + Allow for OPTIONS. One precompiled regex per route.
import { HttpError } from '../errors.js';
import { failure } from './reply.js';
import { ROUTES } from './routes.js';
import type { Reply, Route } from './types.js';

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export function compile(route: Route): CompiledRoute {
  const names = [...route.path.matchAll(/:([a-z_]+)/g)].map((m) => m[1] as string);
  const source = route.path.replace(/[.]/g, '\\.').replace(/:[a-z_]+/g, '([^/]+)').replace(/\*$/, '.*');
  return { route, names, pattern: new RegExp(`^${source}$`) };
}

export type Resolution =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  | { kind: 'reply'; reply: Reply };

export class RouteResolver {
  private readonly compiled: readonly CompiledRoute[];

  constructor(routes: readonly Route[] = ROUTES) {
    this.compiled = routes.map(compile);
  }

  resolve(method: string | undefined, path: string, query = ''): Resolution {
    for (const c of this.compiled) {
      const { route } = c;
      const sameMethod = route.method === method || (method === 'HEAD' && route.method === 'GET' && !route.unsafe);
      if (!sameMethod) continue;
      const m = c.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1] as string);
        } catch {
          throw new HttpError(400, `malformed %-escape in path ${path}`);
        }
      });
      return { kind: 'route', route, params };
    }
    return { kind: 'reply', reply: this.decide(method, path, query) };
  }

  /** The methods the table accepts on this path, as an Allow header lists them. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const c of this.compiled) {
      if (!c.pattern.test(path)) continue;
      methods.add(c.route.method);
      if (c.route.method === 'GET' && !c.route.unsafe) methods.add('HEAD');
    }
    if (methods.size > 0) methods.add('OPTIONS');
    return [...methods];
  }

  private decide(method: string | undefined, path: string, query: string): Reply {
    const allowed = this.allowed(path);
    if (allowed.length > 0) {
      const allow = allowed.join(', ');
      if (method === 'OPTIONS') return { status: 200, headers: { allow } };
      return { ...failure(405, `method ${method ?? ''} not allowed on ${path}; allowed: ${allow}`), headers: { allow } };
    }
    if (!path.endsWith('/') && this.allowed(`${path}/`).length > 0) {
      // 308 keeps the method and body, so a POST without its trailing slash still works.
      const location = `${path}/${query === '' ? '' : `?${query}`}`;
      return { status: 308, body: { status: 'redirect', location }, headers: { location } };
    }
    return failure(404, `no such route: ${method ?? ''} ${path}`);
  }
}
