// Checks HTTP replies against openapi.json with a real JSON Schema validator (ajv, draft 2020-12 as
// OpenAPI 3.1 uses), so a reply that drifts from the document fails the test that saw it.
// Plug `checkExchange` into the e2e HTTP helper's observer hook (test/helpers/server.ts does); a client
// with its own hook (SharqClient's onReply) calls seeReply. Conforming replies are recorded for the
// suite-wide coverage check (test/helpers/openapi-coverage.ts).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

import { ROUTES } from '../../src/http/routes.js';
import { pairKey, recordSeen } from './openapi-coverage.js';

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

/** A validator of the schema at a JSON pointer of the document (e.g. `components/schemas/Identifier`). */
export function validatorFor(ref: string): ValidateFunction {
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

interface Verdict {
  problems: string[];
  /** "operationId status" when the reply is one of an operation's documented replies. */
  pair?: string;
}

/**
 * Problems of one reply against the document; empty when it conforms. With `served`, operations the
 * server does not have yet (documented ahead of their route) count as unknown paths: 404/405 then.
 * Pure: it records nothing (seeReply does), so checks of made-up replies do not count as coverage.
 */
export function responseProblems(r: ObservedResponse, served?: ReadonlySet<string>): string[] {
  return verdict(r, served).problems;
}

/**
 * responseProblems for a reply a server really sent: a conforming one counts as seen for the
 * suite-wide coverage check (test/helpers/openapi-coverage.ts).
 */
export function seeReply(r: ObservedResponse, served?: ReadonlySet<string>): string[] {
  const { problems, pair } = verdict(r, served);
  if (problems.length === 0 && pair !== undefined) recordSeen(pair);
  return problems;
}

function verdict(r: ObservedResponse, served?: ReadonlySet<string>): Verdict {
  const bare = r.path.split('?')[0] ?? r.path;
  const method = r.method.toUpperCase();
  // node:http's answer to a client too slow to send its request, on any path (in info.description).
  if (r.status === 408) return { problems: [] };
  if (served && STATIC_PREFIXES.some((prefix) => bare === prefix || bare.startsWith(`${prefix}/`))) return { problems: [] };
  const isServed = (template: string, m: string): boolean => !served || served.has(`${m.toUpperCase()} ${template}`);
  const matched = COMPILED_PATHS.find(
    (c) => c.pattern.test(bare) && Object.keys(c.item).some((k) => k !== 'parameters' && isServed(c.template, k)),
  );
  const methods = matched ? Object.keys(matched.item).filter((k) => k !== 'parameters' && isServed(matched.template, k)) : [];
  if (method === 'OPTIONS' && matched) return { problems: r.status === 200 || r.status === 204 ? [] : [`OPTIONS ${bare}: ${r.status}`] };
  const key = (method === 'HEAD' ? 'get' : method.toLowerCase()) as keyof PathItem;
  const operation = matched && isServed(matched.template, key) ? (matched.item[key] as Operation | undefined) : undefined;
  // HEAD on a GET that changes state (dequeue) is a 405 like any other method the path does not serve.
  if (!matched || !operation || (method === 'HEAD' && r.status === 405)) {
    return { problems: checkFallback({ ...r, path: bare }, methods.map((m) => m.toUpperCase())) };
  }

  const where = `${method} ${matched.template} (${operation.operationId})`;
  const raw = operation.responses[String(r.status)];
  if (!raw) {
    return {
      problems: [`${where}: status ${r.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')}); body ${JSON.stringify(r.body)}`],
    };
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
  // A HEAD reply has no body to validate: it does not count as having seen the operation's reply.
  return { problems, pair: method === 'HEAD' ? undefined : pairKey(operation.operationId, r.status) };
}

/** Throws when the reply does not conform to openapi.json (the observer hook of the e2e helper). */
export function assertValidResponse(r: ObservedResponse, served?: ReadonlySet<string>): void {
  const problems = seeReply(r, served);
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
