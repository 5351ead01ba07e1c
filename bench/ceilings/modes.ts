/** The ceiling apps, in the order they are measured (app.ts serves them on ports in this order). */
export const CEILING_MODES = ['bare', 'evalsha', 'express'] as const;
export type CeilingMode = (typeof CEILING_MODES)[number];

/** A queue type nothing is ever enqueued to: the ceiling's EVALSHA finds no ready queue. */
export const CEILING_QUEUE_TYPE = 'ceiling_empty';
