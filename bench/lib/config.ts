// The config the bench gives the server, and the same config read by the server's own parser, so the
// bench's engines (pre-fill, ceilings) use exactly the server's engine options and Redis settings.

import { parseConfig } from '../../src/config/config.js';
import { engineOptions, type EngineOptions } from '../../src/engine/engine.js';
import type { Config } from '../../src/interfaces.js';
import { BENCH_KEY_PREFIX } from './fixtures.js';

export interface ServerSettings {
  redisPort: number;
  jobExpireIntervalMs: number;
  jobRequeueIntervalMs: number;
  workers?: number;
  keyPrefix?: string;
}

export function configText(s: ServerSettings, port: number): string {
  return [
    '[sharq]',
    `job_expire_interval : ${s.jobExpireIntervalMs}`,
    `job_requeue_interval : ${s.jobRequeueIntervalMs}`,
    'default_job_requeue_limit : -1',
    '',
    '[sharq-server]',
    'host : 127.0.0.1',
    `port : ${port}`,
    `workers : ${s.workers ?? 2}`,
    'log_level : warn',
    '',
    '[redis]',
    'db : 0',
    `key_prefix : ${s.keyPrefix ?? BENCH_KEY_PREFIX}`,
    'conn_type : tcp_sock',
    'host : 127.0.0.1',
    `port : ${s.redisPort}`,
    '',
  ].join('\n');
}

/** The Config the server would build from configText (environment variables ignored). */
export function parsedConfig(settings: ServerSettings): Config {
  return parseConfig(configText(settings, 8080), '<bench config>', {}).config;
}

export function benchEngineOptions(redisPort: number, jobExpireIntervalMs: number, keyPrefix?: string): EngineOptions {
  return engineOptions(parsedConfig({ redisPort, jobExpireIntervalMs, jobRequeueIntervalMs: 1000, keyPrefix }));
}
