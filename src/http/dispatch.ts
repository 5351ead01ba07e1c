// Matches a method and path against the route table: one precompiled regex per route.
import { ROUTES, type Route } from './routes.js';

export const PROMETHEUS_PATH = '/metrics';

interface CompiledPath {
  method: string;
  path: string;
  pattern: RegExp;
  names: string[];
  route?: Route;
}

function compile(method: string, path: string, route?: Route): CompiledPath {
  const names = [...path.matchAll(/:([a-z_]+)/g)].map((m) => m[1] as string);
  return { method, path, names, route, pattern: new RegExp(`^${path.replace(/:[a-z_]+/g, '([^/]+)')}$`) };
}

const COMPILED: readonly CompiledPath[] = [
  ...ROUTES.map((route) => compile(route.method, route.path, route)),
  compile('GET', PROMETHEUS_PATH),
];

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** The SharQ route for this request; HEAD matches a GET route unless running it changes state. */
export function matchRoute(method: string | undefined, path: string): RouteMatch | undefined {
  for (const c of COMPILED) {
    if (!c.route) continue;
    const sameMethod = c.method === method || (method === 'HEAD' && c.method === 'GET' && !c.route.unsafe);
    if (!sameMethod) continue;
    const m = c.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    c.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] as string);
    });
    return { route: c.route, params };
  }
  return undefined;
}

/** Methods some route accepts on this path (for 405 and Allow). */
export function allowedMethods(path: string): string[] {
  return [...new Set(COMPILED.filter((c) => c.pattern.test(path)).map((c) => c.method))];
}

/** Whether the path is a known route once its trailing slash is added (308 redirect). */
export function missesTrailingSlash(path: string): boolean {
  return !path.endsWith('/') && COMPILED.some((c) => c.pattern.test(`${path}/`));
}
