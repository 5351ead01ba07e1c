// The sharq.conf the harness gives the real CLI: test defaults, overridable key by key.

export type ConfigSection = 'sharq' | 'sharq-server' | 'redis';

/** Extra `key : value` lines per section, e.g. { sharq: { job_expire_interval: '200' } }. */
export type ConfigOverrides = Partial<Record<ConfigSection, Record<string, string>>>;

export interface ConfigSettings {
  redisPort: number;
  /** The HTTP port the CLI listens on. */
  port: number;
  workers?: number;
  overrides?: ConfigOverrides;
}

/**
 * No job expires (an hour) unless a test asks for it (`overrides.sharq.job_expire_interval`): on a
 * loaded machine a second can pass between a dequeue and the next request, and a requeued job
 * breaks a test about something else.
 */
export function configText({ redisPort, port, workers = 2, overrides = {} }: ConfigSettings): string {
  const sections: Record<ConfigSection, Record<string, string>> = {
    sharq: { job_expire_interval: '3600000', job_requeue_interval: '1000', default_job_requeue_limit: '-1' },
    'sharq-server': { host: '127.0.0.1', port: String(port), workers: String(workers), shutdown_timeout: '5000' },
    redis: { db: '0', key_prefix: 'sharq_test', conn_type: 'tcp_sock', host: '127.0.0.1', port: String(redisPort) },
  };
  for (const [section, values] of Object.entries(overrides) as [ConfigSection, Record<string, string>][]) {
    Object.assign(sections[section], values);
  }
  return Object.entries(sections)
    .map(([name, values]) => `[${name}]\n${Object.entries(values).map(([k, v]) => `${k} : ${v}`).join('\n')}\n`)
    .join('\n');
}
