// Dead letters of a type: discarded jobs with their reason; replay one or all, delete all.
// Works before the dead-letter routes exist on a server: a 404 says "not available".
import { api, ApiError, type DeadLetter } from './api.js';
import { confirmAction } from './dialogs.js';
import { fill, formatNumber, h, preview, table, shortText } from './dom.js';
import { breadcrumbs, errorText, link, outcome, pager, PAGE_SIZE, type View } from './view.js';

export function deadView(type: string): View {
  let cursors: (string | undefined)[] = [undefined];
  let nextCursor: string | null = null;

  const rows = h('tbody');
  const result = outcome();
  const replayAll = h('button', { type: 'button' }, 'Replay all…');
  const deleteAll = h('button', { type: 'button', class: 'danger' }, 'Delete all…');
  const toolbar = h('div', { class: 'toolbar' }, replayAll, deleteAll);
  const listing = h('div', {}, toolbar, result.element);
  const pages = pager('Dead letter', () => {
    cursors = cursors.slice(0, -1);
    void refresh();
  }, () => {
    if (nextCursor === null) return;
    cursors = [...cursors, nextCursor];
    void refresh();
  });
  const tableEl = table(`Dead letters of ${type}, newest first`, ['Queue id', 'Job id', 'Reason', 'Attempts', 'Error', 'Discarded at', 'Payload', 'Action'], rows);
  listing.append(tableEl, pages.element);
  const unavailable = h('p', { class: 'notice', hidden: true }, 'Dead letters are not available on this server (it has no GET /dead/ route).');

  async function act(run: () => Promise<string>, focusAfter: HTMLElement): Promise<void> {
    try {
      result.ok(await run());
      await refresh();
    } catch (error) {
      result.fail(errorText(error));
    }
    focusAfter.focus();
  }

  replayAll.addEventListener('click', () => {
    void (async () => {
      const answer = await confirmAction({ title: `Replay all dead letters of ${type}?`, message: 'Each job goes back to the tail of its queue with its original requeue limit.', confirmLabel: 'Replay all' });
      if (answer === null) return replayAll.focus();
      await act(async () => `${formatNumber((await api.replay(type, { all: true })).replayed)} jobs replayed.`, replayAll);
    })();
  });
  deleteAll.addEventListener('click', () => {
    void (async () => {
      const answer = await confirmAction({ title: `Delete all dead letters of ${type}?`, message: 'They are gone for good: they cannot be replayed afterwards.', confirmLabel: 'Delete all' });
      if (answer === null) return deleteAll.focus();
      await act(async () => `${formatNumber((await api.deleteDead(type)).deleted)} dead letters deleted.`, deleteAll);
    })();
  });

  function replayOne(job: DeadLetter, button: HTMLButtonElement): void {
    void (async () => {
      const answer = await confirmAction({ title: `Replay job ${job.job_id}?`, message: `It goes back to the tail of queue ${job.queue_id}.`, confirmLabel: 'Replay' });
      if (answer === null) return button.focus();
      await act(async () => {
        const { replayed } = await api.replay(type, { jobs: [{ queue_id: job.queue_id, job_id: job.job_id }] });
        return replayed === 1 ? `Job ${job.job_id} replayed into ${job.queue_id}.` : `Job ${job.job_id} was no longer a dead letter.`;
      }, replayAll);
    })();
  }

  const element = h(
    'section',
    { 'aria-labelledby': 'view-title' },
    breadcrumbs(['Overview', link.overview()], [type, link.type(type)], ['Dead letters', link.dead(type)]),
    h('h1', { id: 'view-title', tabindex: -1 }, `Dead letters of ${type}`),
    unavailable,
    listing,
  );

  async function refresh(): Promise<void> {
    let page;
    try {
      page = await api.dead(type, { cursor: cursors.at(-1), limit: PAGE_SIZE });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        unavailable.hidden = false;
        listing.hidden = true;
        return;
      }
      throw error;
    }
    unavailable.hidden = true;
    listing.hidden = false;
    // The contract's cursor is opaque: a string or a number, passed back as text.
    nextCursor = page.next_cursor === undefined || page.next_cursor === null ? null : String(page.next_cursor);
    if (page.jobs.length === 0) {
      fill(rows, h('tr', {}, h('td', { colspan: 8 }, 'No dead letters.')));
    } else {
      fill(
        rows,
        ...page.jobs.map((job) => {
          const button = h('button', { type: 'button', 'aria-label': `Replay ${job.job_id} of ${job.queue_id}` }, 'Replay…');
          button.addEventListener('click', () => replayOne(job, button));
          return h(
            'tr',
            {},
            h('td', {}, h('a', { href: link.queue(type, job.queue_id) }, job.queue_id)),
            h('th', { scope: 'row' }, job.job_id),
            h('td', {}, job.reason),
            h('td', { class: 'num' }, job.attempts === undefined ? '' : String(job.attempts)),
            h('td', {}, job.error === undefined || job.error === null ? '' : h('span', { class: 'error-text', title: job.error }, shortText(job.error))),
            h('td', {}, job.discarded_at_ms === undefined ? '' : `${new Date(job.discarded_at_ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`),
            h('td', {}, h('code', { class: 'payload' }, preview(job.payload))),
            h('td', {}, button),
          );
        }),
      );
    }
    replayAll.disabled = deleteAll.disabled = page.jobs.length === 0 && cursors.length === 1;
    pages.update(`Page ${cursors.length}`, cursors.length > 1, nextCursor !== null);
  }

  return { title: `Dead letters of ${type}`, element, refresh };
}
