// What the lifecycle handlers need of a request and of the server: the route table's input plus
// the query string, and the engine with the job-event counter.
import type { QueueEngine } from '../../engine/engine.js';
import type { JobEvent } from '../routes.js';

export interface HandlerInput {
  params: Record<string, string>;
  body?: Buffer;
  query?: URLSearchParams;
}

export interface HandlerDeps {
  engine: QueueEngine;
  onJobEvent?: (event: JobEvent, queueType: string, count?: number) => void;
}

export interface HandlerReply {
  status: number;
  /** An object is serialised; a string is sent as is (already JSON). */
  body: unknown;
}

export const FAILURE = { status: 'failure' } as const;

export function param(input: HandlerInput, name: string): string {
  return input.params[name] ?? '';
}
