// Types of the wire, taken from openapi-types.ts (generated from openapi.json by openapi-typescript;
// test/client/client-types.test.ts fails when the two differ), and the camelCase view of them.
import type { components, paths } from './openapi-types.js';

export type Schemas = components['schemas'];
export type RouteTemplate = keyof paths;
export type WireMethod = 'get' | 'post' | 'delete';

/** The JSON body of the documented reply `status` of `method template`. */
export type ReplyBody<P extends RouteTemplate, M extends WireMethod, S extends number> =
  NonNullable<paths[P][M]> extends { responses: infer R }
    ? S extends keyof R
      ? R[S] extends { content: { 'application/json': infer B } }
        ? B
        : never
      : never
    : never;

/** The JSON request body of `method template`. */
export type RequestBody<P extends RouteTemplate, M extends WireMethod> =
  NonNullable<paths[P][M]> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

type CamelKey<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelKey<Tail>>}` : S;

/** The same object with snake_case keys in camelCase (one level: payloads are never touched). */
export type Camelize<T> = { [K in keyof T as K extends string ? CamelKey<K> : K]: T[K] };

function camelKey(key: string): string {
  return key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Runtime twin of Camelize: renames the top-level keys only. */
export function camelize<T extends object>(wire: T): Camelize<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wire)) out[camelKey(key)] = value;
  return out as Camelize<T>;
}

/** Drops the envelope's `status` field (always "success" on a 2xx). */
export type WithoutStatus<T> = Omit<T, 'status'>;
