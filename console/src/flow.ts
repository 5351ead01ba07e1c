// Flow control in the console (SPEC 5.14): how limits and pauses read, and the Pause and Resume
// buttons the type page (the whole type) and the queue page (that queue) share.
import { api, ApiError } from './api.js';
import { formatMoment, formatNumber, h } from './dom.js';
import { errorText, type Outcome } from './view.js';

/** A pause in words; '-' when the server does not say (a server without flow control). */
export function pausedText(paused: boolean | undefined, untilMs: number | null | undefined): string {
  if (paused === undefined) return '-';
  if (!paused) return 'no';
  return untilMs === null || untilMs === undefined ? 'until resumed' : `until ${formatMoment(untilMs)}`;
}

/** A limit in words: null is no limit. */
export function limitText(value: number | null): string {
  return value === null ? 'no limit' : formatNumber(value);
}

/** A flow-control read, or undefined from a server without those routes (its 404). */
export async function unlessMissing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

export interface PauseControls {
  element: HTMLElement;
  /** Enables the button that applies; undefined (the server has no flow control) hides both. */
  update(paused: boolean | undefined): void;
}

/**
 * Pause (until resumed) and Resume of a type, or of one queue when `queueId` is given. After an
 * action the view refreshes (`after`) and the focus moves to the other button, the one that now applies.
 */
export function pauseControls(type: string, queueId: string | undefined, result: Outcome, after: () => Promise<void>): PauseControls {
  const noun = queueId === undefined ? 'type' : 'queue';
  const name = queueId === undefined ? `type ${type}` : `queue ${queueId}`;
  const pause = h('button', { type: 'button' }, `Pause ${noun}`);
  const resume = h('button', { type: 'button' }, `Resume ${noun}`);
  const element = h('div', { class: 'inline-form', role: 'group', 'aria-label': `Pause or resume the ${noun}` }, pause, resume);
  let paused: boolean | undefined;

  function update(state: boolean | undefined): void {
    paused = state;
    element.hidden = state === undefined;
    pause.disabled = state === true;
    resume.disabled = state === false;
  }

  async function act(run: () => Promise<string>, pausedAfter: boolean, clicked: HTMLButtonElement, other: HTMLButtonElement): Promise<void> {
    // No second request while the first is on its way.
    pause.disabled = resume.disabled = true;
    try {
      result.ok(await run());
    } catch (error) {
      result.fail(errorText(error));
      update(paused);
      clicked.focus();
      return;
    }
    update(pausedAfter);
    other.focus();
    // The action went through: a refresh that fails now is the page's refresh alert's to show, not this one's.
    await after().catch(() => undefined);
  }

  pause.addEventListener('click', () => {
    void act(async () => `Paused ${name} ${pausedText(true, (await api.pause(type, queueId)).paused_until_ms)}.`, true, pause, resume);
  });
  resume.addEventListener('click', () => {
    void act(
      async () => {
        await api.resume(type, queueId);
        return `Resumed ${name}.`;
      },
      false,
      resume,
      pause,
    );
  });
  return { element, update };
}
