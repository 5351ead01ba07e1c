// Checks HTTP replies against openapi.json with a real JSON Schema validator (ajv, draft 2020-12 as
// OpenAPI 3.1 uses), so a reply that drifts from the document fails the test that saw it.
// Plug `assertValidResponse` into the e2e HTTP helper's observer hook.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

import { ROUTES } from '../../src/http/routes.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOC_ID = 'https://sharq-server.invalid/openapi.json';

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
  $ref?: string;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
type PathItem = Partial<Record<'get' | 'post' | 'delete' | 'put' | 'patch', Operation>> & { parameters?: unknown[] };
export interface OpenApiDocument {
  paths: Record<string, PathItem>;
  components: { responses: Record<string, ResponseObject>; schemas: Record<string, unknown> };
}

export const openapiDocument = JSON.parse(readFileSync(path.join(repoRoot, 'openapi.json'), 'utf8')) as OpenApiDocument;

// Answers that no single operation owns (described in the document's info.description).
const FALLBACK_SCHEMAS = {
  failure: {
    type: 'object',
    additionalProperties: false,
    required: ['status', 'message'],
    properties: { status: { const: 'failure' }, message: { type: 'string' } },
  },
  redirect: {
    type: 'object',
    additionalProperties: false,
    required: ['status', 'location'],
    properties: { status: { const: 'redirect' }, location: { type: 'string' } },
  },
};

// ajv-formats is CommonJS; its default export arrives one level down under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true, discriminator: true });
addFormats(ajv);
ajv.addSchema({ ...openapiDocument, $id: DOC_ID });
const failureValidator = ajv.compile(FALLBACK_SCHEMAS.failure);
const redirectValidator = ajv.compile(FALLBACK_SCHEMAS.redirect);

interface CompiledPath {
  template: string;
  pattern: RegExp;
  item: PathItem;
}

const COMPILED_PATHS: CompiledPath[] = Object.entries(openapiDocument.paths).map(([template, item]) => ({
  template,
  item,
  pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[a-z_]+\}/g, '[^/]+')}$`),
}));

const validators = new Map<string, ValidateFunction>();

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function validatorFor(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOC_ID}#/${ref}` });
    validators.set(ref, validate);
  }
  return validate;
}

function resolveResponse(response: ResponseObject): ResponseObject {
  if (!response.$ref) return response;
  const name = response.$ref.replace('#/components/responses/', '');
  const resolved = openapiDocument.components.responses[name];
  if (!resolved) throw new Error(`openapi.json: unresolved ${response.$ref}`);
  return resolved;
}

function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ');
}

/** (operationId status) pairs seen valid so far: what the e2e suite covered of the document. */
export const seenResponses = new Set<string>();

export interface ObservedResponse {
  method: string;
  /** The request path, with or without its query string. */
  path: string;
  status: number;
  /** The parsed JSON body, or the text when it is not JSON; undefined when there is none (HEAD). */
  body: unknown;
  /** Response headers (lower-case names), to check the ones the document requires. */
  headers?: Headers | Record<string, string | string[] | undefined>;
}

function header(headers: ObservedResponse['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

function checkFallback(r: ObservedResponse, methods: string[]): string[] {
  // 405: a documented path, another method.
  if (methods.length > 0) {
    if (r.status !== 405) return [`${r.method} ${r.path}: ${r.status} but the document has no ${r.method} on this path (expected 405)`];
    const problems = r.method === 'HEAD' || failureValidator(r.body) ? [] : [`405 body: ${describeErrors(failureValidator)}`];
    if (r.headers && !header(r.headers, 'allow')) problems.push('405 without an Allow header');
    return problems;
  }
  if (r.method === 'HEAD') return [404, 400, 308].includes(r.status) ? [] : [`HEAD ${r.path}: ${r.status}`];
  if (r.status === 308) return redirectValidator(r.body) ? [] : [`308 body: ${describeErrors(redirectValidator)}`];
  if (r.status === 404 || r.status === 400) {
    return failureValidator(r.body) ? [] : [`${r.status} body: ${describeErrors(failureValidator)}`];
  }
  return [`${r.method} ${r.path}: ${r.status} on a path the document does not have (expected 404, 400 or 308)`];
}

/** "METHOD /template/" of every route the server's table has, in the document's spelling. */
export const SERVED_OPERATIONS: ReadonlySet<string> = new Set(
  ROUTES.map((route) => `${route.method} ${route.path.replace(/:([a-z_]+)/g, '{$1}')}`),
);

/** Subtrees of static files (the console's `/ui/*`): outside the JSON API, so outside the document. */
const STATIC_PREFIXES = ROUTES.filter((route) => route.path.endsWith('*')).map((route) => route.path.slice(0, -2));

/**
 * Problems of one reply against the document; empty when it conforms. With `served`, operations the
 * server does not have yet (documented ahead of their route) count as unknown paths: 404/405 then.
 */
export function responseProblems(r: ObservedResponse, served?: ReadonlySet<string>): string[] {
  const bare = r.path.split('?')[0] ?? r.path;
  const method = r.method.toUpperCase();
  // node:http's answer to a client too slow to send its request, on any path (in info.description).
  if (r.status === 408) return [];
  if (served && STATIC_PREFIXES.some((prefix) => bare === prefix || bare.startsWith(`${prefix}/`))) return [];
  const isServed = (template: string, m: string): boolean => !served || served.has(`${m.toUpperCase()} ${template}`);
  const matched = COMPILED_PATHS.find(
    (c) => c.pattern.test(bare) && Object.keys(c.item).some((k) => k !== 'parameters' && isServed(c.template, k)),
  );
  const methods = matched ? Object.keys(matched.item).filter((k) => k !== 'parameters' && isServed(matched.template, k)) : [];
  if (method === 'OPTIONS' && matched) return r.status === 200 || r.status === 204 ? [] : [`OPTIONS ${bare}: ${r.status}`];
  const key = (method === 'HEAD' ? 'get' : method.toLowerCase()) as keyof PathItem;
  const operation = matched && isServed(matched.template, key) ? (matched.item[key] as Operation | undefined) : undefined;
  // HEAD on a GET that changes state (dequeue) is a 405 like any other method the path does not serve.
  if (!matched || !operation || (method === 'HEAD' && r.status === 405)) {
    return checkFallback({ ...r, path: bare }, methods.map((m) => m.toUpperCase()));
  }

  const where = `${method} ${matched.template} (${operation.operationId})`;
  const raw = operation.responses[String(r.status)];
  if (!raw) {
    return [`${where}: status ${r.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')}); body ${JSON.stringify(r.body)}`];
  }
  const response = resolveResponse(raw);
  const problems: string[] = [];
  for (const name of Object.keys(response.headers ?? {})) {
    if (r.headers && !header(r.headers, name)) problems.push(`${where} ${r.status}: header ${name} missing`);
  }
  if (method !== 'HEAD' && response.content) {
    if (response.content['application/json']) {
      const ref = raw.$ref
        ? pointer('components', 'responses', raw.$ref.replace('#/components/responses/', ''), 'content', 'application/json', 'schema')
        : pointer('paths', matched.template, key, 'responses', String(r.status), 'content', 'application/json', 'schema');
      const validate = validatorFor(ref);
      if (!validate(r.body)) problems.push(`${where} ${r.status}: ${describeErrors(validate)}; body ${JSON.stringify(r.body)}`);
    } else if (response.content['text/plain'] && typeof r.body !== 'string') {
      problems.push(`${where} ${r.status}: expected a text body`);
    }
  }
  if (problems.length === 0) seenResponses.add(`${operation.operationId} ${r.status}`);
  return problems;
}

/** Throws when the reply does not conform to openapi.json (the observer hook of the e2e helper). */
export function assertValidResponse(r: ObservedResponse, served?: ReadonlySet<string>): void {
  const problems = responseProblems(r, served);
  if (problems.length > 0) throw new Error(`reply does not match openapi.json:\n  ${problems.join('\n  ')}`);
}

/** The same as assertValidResponse, positional. */
export function validateResponse(method: string, requestPath: string, status: number, body: unknown, headers?: ObservedResponse['headers']): void {
  assertValidResponse({ method, path: requestPath, status, body, headers });
}

/** The shape of test/helpers/http.ts's exchanges (kept structural so this module imports nothing of it). */
export interface ObservedExchange {
  method: string;
  path: string;
  response: { status: number; body: unknown; headers: Record<string, string | string[] | undefined> };
}

/** Observer for the e2e HTTP helper's onResponse hook: throws on a reply that drifts from openapi.json. */
export function checkExchange(exchange: ObservedExchange): void {
  assertValidResponse({
    method: exchange.method,
    path: exchange.path,
    status: exchange.response.status,
    body: exchange.response.body,
    headers: exchange.response.headers,
  }, SERVED_OPERATIONS);
}

/** Documented (operationId status) pairs no checked reply has shown yet: what the e2e suite leaves untested. */
export function unseenResponses(): string[] {
  const unseen: string[] = [];
  for (const item of Object.values(openapiDocument.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      for (const status of Object.keys((op as Operation).responses)) {
        const key = `${(op as Operation).operationId} ${status}`;
        if (!seenResponses.has(key)) unseen.push(key);
      }
    }
  }
  return unseen;
}
