// The job record of lua/include/common.lua (parse_job / format_job), read on the TypeScript side
// for the job status and the dead letters: "<remaining>|<limit>|<cost>|<payload JSON>", or the
// earlier "<remaining>|<payload JSON>".

export interface JobRecord {
  /** -1: requeued forever. */
  requeuesRemaining: number;
  requeueLimit: number;
  cost: number;
  /** The payload as the JSON text it was enqueued with. */
  payloadJson: string;
}

const CURRENT = /^(-?\d+)\|(-?\d+)\|(\d+)\|([\s\S]*)$/;
const FIRST = /^(-?\d+)\|([\s\S]*)$/;

export function parseJobRecord(raw: string): JobRecord {
  const current = CURRENT.exec(raw);
  if (current) {
    return {
      requeuesRemaining: Number(current[1]),
      requeueLimit: Number(current[2]),
      cost: Number(current[3]),
      payloadJson: current[4] as string,
    };
  }
  const first = FIRST.exec(raw);
  if (!first) throw new Error(`not a job record: ${raw.slice(0, 40)}`);
  const remaining = Number(first[1]);
  return { requeuesRemaining: remaining, requeueLimit: remaining, cost: 1, payloadJson: first[2] as string };
}
