// The operations of openapi.json as a table a test can walk: each with its method, path template,
// parameters (refs resolved), request body schema and documented statuses, whether the route table
// (src/http/routes.ts) serves it without a token, and concrete requests built from the schemas:
// a valid sample of every parameter and body, and a value each parameter's schema rejects.

import { ROUTES } from '../../src/http/routes.js';
import { openapiDocument, validatorFor } from './openapi-validator.js';

export interface Schema {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  default?: unknown;
  oneOf?: Schema[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  minItems?: number;
  minimum?: number;
  pattern?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  schema: Schema;
  /** JSON pointer of `schema` in the document (for validatorFor). */
  schemaPointer: string;
}

type RawParameter = Omit<Parameter, 'schemaPointer'> | { $ref: string };

export interface DocumentedOperation {
  operationId: string;
  method: string;
  /** As in the document: `/enqueue/{queue_type}/{queue_id}/`. */
  template: string;
  parameters: Parameter[];
  /** JSON pointer (for validatorFor) of the request body's schema, when the operation reads a body. */
  bodySchemaPointer?: string;
  bodySchema?: Schema;
  statuses: ReadonlySet<number>;
  /** The route table serves it without a token (SPEC 5.8). */
  isPublic: boolean;
}

interface RawOperation {
  operationId: string;
  parameters?: RawParameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
}

/** The document node a local `#/...` ref points at. */
function resolveRef<T>(ref: string): T {
  let node: unknown = openapiDocument;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) throw new Error(`openapi.json: unresolved ${ref}`);
  return node as T;
}

function escapePointer(part: string): string {
  return part.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `at`: the pointer parts of where the parameter is written, when it is not a $ref. */
function resolveParameter(p: RawParameter, at: string[]): Parameter {
  if ('$ref' in p) return { ...resolveRef<Omit<Parameter, 'schemaPointer'>>(p.$ref), schemaPointer: `${p.$ref.replace(/^#\//, '')}/schema` };
  return { ...p, schemaPointer: [...at, 'schema'].map(escapePointer).join('/') };
}

/** Every operation of openapi.json, in the document's order. */
export function documentedOperations(): DocumentedOperation[] {
  const operations: DocumentedOperation[] = [];
  for (const [template, item] of Object.entries(openapiDocument.paths)) {
    const shared = ((item as { parameters?: RawParameter[] }).parameters ?? []).map((p, i) => resolveParameter(p, ['paths', template, 'parameters', String(i)]));
    for (const [method, raw] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const op = raw as unknown as RawOperation;
      const tablePath = template.replace(/\{([a-z_]+)\}/g, ':$1');
      const route = ROUTES.find((r) => r.method === method.toUpperCase() && r.path === tablePath);
      if (!route) throw new Error(`openapi.json documents ${method.toUpperCase()} ${template}, which the route table does not serve`);
      const json = op.requestBody?.content['application/json'];
      operations.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        template,
        parameters: [...shared, ...(op.parameters ?? []).map((p, i) => resolveParameter(p, ['paths', template, method, 'parameters', String(i)]))],
        bodySchemaPointer: json ? ['paths', template, method, 'requestBody', 'content', 'application/json', 'schema'].map(escapePointer).join('/') : undefined,
        bodySchema: json?.schema,
        statuses: new Set(Object.keys(op.responses).map(Number)),
        isPublic: route.public === true,
      });
    }
  }
  return operations;
}

/**
 * A value the schema accepts, built from it: the const, the first oneOf branch, the default, the
 * minimum, an identifier-like string named after the field, one array item, the required properties.
 */
export function sampleOf(schema: Schema, name: string): unknown {
  if (schema.$ref) return sampleOf(resolveRef<Schema>(schema.$ref), name);
  if (schema.const !== undefined) return schema.const;
  if (schema.oneOf?.[0]) return sampleOf(schema.oneOf[0], name);
  if (schema.default !== undefined) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((key) => [key, sampleOf(schema.properties?.[key] ?? {}, key)]));
    case 'array':
      return Array.from({ length: schema.minItems ?? 1 }, () => sampleOf(schema.items ?? {}, name));
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'string':
      return `sweep_${name}`;
    case 'boolean':
      return false;
    default:
      // Any JSON value (a payload).
      return { sample: name };
  }
}

/** A wire value the parameter's schema rejects, or undefined when the schema takes any string. */
export function invalidValueOf(parameter: Parameter): string | undefined {
  const schema = parameter.schema.$ref ? resolveRef<Schema>(parameter.schema.$ref) : parameter.schema;
  if (schema.type === 'integer' || schema.type === 'number') return 'not-a-number';
  if (schema.type === 'string' && schema.pattern !== undefined) return 'not!valid';
  return undefined;
}

/** Whether the document's schema at `pointer` accepts `value` (for checking the samples themselves). */
export function schemaAccepts(pointer: string, value: unknown): boolean {
  return validatorFor(pointer)(value);
}

/** Whether the parameter's schema accepts a wire value (a decimal string read as the number it spells). */
export function parameterAccepts(parameter: Parameter, wireValue: string): boolean {
  return schemaAccepts(parameter.schemaPointer, /^-?\d+$/.test(wireValue) ? Number(wireValue) : wireValue);
}

/**
 * The request path of an operation: the template with a sample of every path parameter, `overrides`
 * replacing path parameters or adding query parameters (optional query parameters are left out).
 */
export function pathFor(op: DocumentedOperation, overrides: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  let path = op.template;
  for (const p of op.parameters) {
    const value = overrides[p.name];
    if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(value ?? String(sampleOf(p.schema, p.name))));
    else if (value !== undefined || p.required === true) query.set(p.name, value ?? String(sampleOf(p.schema, p.name)));
  }
  const search = query.toString();
  return search === '' ? path : `${path}?${search}`;
}
