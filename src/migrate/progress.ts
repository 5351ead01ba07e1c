// Progress on stderr (a bar redrawn in place on a TTY, a line every few seconds otherwise) and the final
// summary on stdout.
import type { Discovery } from './discover.js';
import type { MoveTotals } from './mover.js';

const LINE_EVERY_MS = 5000;
const BAR_WIDTH = 30;

export class Progress {
  private done = 0;
  private lastDrawMs = 0;
  private readonly startedMs = Date.now();

  constructor(
    private readonly totalJobs: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  get jobsPerSecond(): number {
    const seconds = (Date.now() - this.startedMs) / 1000;
    return seconds > 0 ? this.done / seconds : 0;
  }

  advance(jobs: number): void {
    this.done += jobs;
    const now = Date.now();
    if (now - this.lastDrawMs < (this.stream.isTTY ? 100 : LINE_EVERY_MS)) return;
    this.lastDrawMs = now;
    this.draw();
  }

  finish(): void {
    if (this.stream.isTTY) {
      this.draw();
      this.stream.write('\n');
    }
  }

  private draw(): void {
    const total = Math.max(this.totalJobs, this.done);
    const fraction = total === 0 ? 1 : this.done / total;
    const text = `${this.done}/${total} jobs (${Math.floor(fraction * 100)}%), ${Math.round(this.jobsPerSecond)} jobs/s`;
    if (this.stream.isTTY) {
      const filled = Math.round(fraction * BAR_WIDTH);
      this.stream.write(`\r[${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${text}`);
    } else {
      this.stream.write(`migrate: ${text}\n`);
    }
  }
}

export function discoverySummary(d: Discovery): string[] {
  const queueCount = [...d.queues.values()].reduce((n, ids) => n + ids.length, 0);
  const activeCount = [...d.activeJobs.values()].reduce((n, c) => n + c, 0);
  const types = new Set([...d.queues.keys(), ...d.activeJobs.keys()]);
  const lines = [
    `types: ${types.size}`,
    `queues: ${queueCount}`,
    `queued jobs: ${d.queuedJobs}`,
    `active jobs: ${activeCount} (to the front of their queues)`,
  ];
  if (d.badNames.length > 0) {
    lines.push(`skipped queues: ${d.badNames.length} (names this server refuses: ${d.badNames.slice(0, 5).join(', ')}${d.badNames.length > 5 ? ', ...' : ''})`);
  }
  return lines;
}

export function moveSummary(t: MoveTotals, seconds: number): string[] {
  const lines = [`jobs moved: ${t.moved} in ${seconds.toFixed(1)} s (${Math.round(t.moved / Math.max(seconds, 0.001))} jobs/s)`];
  if (t.undecodable > 0) lines.push(`payloads not msgpack that JSON can hold, moved as strings: ${t.undecodable}`);
  if (t.duplicates > 0) lines.push(`skipped, job id already queued or active in this server: ${t.duplicates}`);
  if (t.missing > 0) lines.push(`skipped, job id without a payload in the old layout: ${t.missing}`);
  if (t.gone > 0) lines.push(`skipped, active job finished by an old worker meanwhile: ${t.gone}`);
  if (t.retries > 0) lines.push(`steps retried because the old data changed meanwhile: ${t.retries}`);
  return lines;
}
