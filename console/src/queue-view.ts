// A queue: its waiting jobs (paged by offset), its interval (changeable), its limits and pause
// (with Pause and Resume) and deleting it.
import { api, ApiError } from './api.js';
import { confirmAction } from './dialogs.js';
import { fill, formatNumber, h, preview, table, shortText } from './dom.js';
import { limitText, pauseControls, pausedText, unlessMissing } from './flow.js';
import { breadcrumbs, errorText, link, outcome, pager, PAGE_SIZE, type Context, type View } from './view.js';

export function queueView(type: string, queueId: string, ctx: Context): View {
  let offset = 0;
  let total = 0;
  let intervalShown = false;

  const facts = h('dl', { class: 'counts' });
  const typePaused = h('p', { class: 'notice', hidden: true });
  const rows = h('tbody');
  const result = outcome();
  const controls = pauseControls(type, queueId, result, refresh);
  const intervalInput = h('input', { id: 'interval-input', name: 'interval', type: 'number', min: 0, step: 1, required: true, inputmode: 'numeric' });
  const intervalForm = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Change the interval' },
    h('label', { for: 'interval-input' }, 'Interval (ms)'),
    intervalInput,
    h('button', { type: 'submit' }, 'Change interval'),
  );
  intervalForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const intervalMs = Number(intervalInput.value);
    api.setInterval(type, queueId, intervalMs).then(
      () => {
        result.ok(`Interval of ${queueId} set to ${formatNumber(intervalMs)} ms.`);
        return refresh();
      },
      (error: unknown) =>
        result.fail(error instanceof ApiError && error.status === 404 ? `Queue ${queueId} has no jobs and no kept interval: nothing to change.` : errorText(error)),
    );
  });
  const deleteButton = h('button', { type: 'button', class: 'danger' }, 'Delete queue…');
  deleteButton.addEventListener('click', () => {
    void (async () => {
      const answer = await confirmAction({
        title: `Delete queue ${queueId}?`,
        message: `All ${formatNumber(total)} waiting jobs of ${queueId} (type ${type}) are removed. This cannot be undone.`,
        confirmLabel: 'Delete queue',
        option: 'Also drop its active jobs (purge_all)',
      });
      if (answer === null) {
        deleteButton.focus();
        return;
      }
      try {
        const reply = await api.deleteQueue(type, queueId, answer.option);
        ctx.announce(`Queue ${queueId}: ${reply.message ?? reply.status}`);
        ctx.go(link.type(type));
      } catch (error) {
        result.fail(errorText(error));
      }
    })();
  });
  const pages = pager('Job', () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    void refresh();
  }, () => {
    offset += PAGE_SIZE;
    void refresh();
  });

  const element = h(
    'section',
    { 'aria-labelledby': 'view-title' },
    breadcrumbs(['Overview', link.overview()], [type, link.type(type)], [queueId, link.queue(type, queueId)]),
    h('h1', { id: 'view-title', tabindex: -1 }, `Queue ${queueId}`),
    facts,
    typePaused,
    h('div', { class: 'toolbar' }, intervalForm, controls.element, deleteButton),
    result.element,
    table(`Waiting jobs of ${queueId}, next out first`, ['Position', 'Job id', 'Status', 'Requeues left', 'Attempts', 'Last error', 'Payload'], rows, [0, 3, 4]),
    pages.element,
  );

  async function refresh(): Promise<void> {
    const [page, limits, typeLimits] = await Promise.all([
      api.jobs(type, queueId, { offset, limit: PAGE_SIZE }),
      unlessMissing(api.queueLimits(type, queueId)),
      unlessMissing(api.typeLimits(type)),
    ]);
    total = page.total;
    fill(
      facts,
      h('div', {}, h('dt', {}, 'Queued'), h('dd', {}, formatNumber(page.total))),
      h('div', {}, h('dt', {}, 'Active'), h('dd', {}, page.active === undefined ? '-' : formatNumber(page.active))),
      h('div', {}, h('dt', {}, 'Interval'), h('dd', {}, page.interval === null || page.interval === undefined ? 'none (idle)' : `${formatNumber(page.interval)} ms`)),
      limits && h('div', {}, h('dt', {}, 'Max active'), h('dd', {}, limitText(limits.max_active))),
      limits && h('div', {}, h('dt', {}, 'Paused'), h('dd', {}, pausedText(limits.paused, limits.paused_until_ms))),
    );
    controls.update(limits?.paused);
    // The type's pause holds this queue too, whatever its own state: say so, or Resume queue would seem not to work.
    typePaused.hidden = typeLimits?.paused !== true;
    if (typeLimits?.paused === true) {
      typePaused.textContent = `Type ${type} is paused ${pausedText(true, typeLimits.paused_until_ms)}: none of its queues hands out jobs until then.`;
    }
    // Filled once: a refresh must not overwrite what the user is typing.
    if (!intervalShown && page.interval !== null) {
      intervalInput.value = String(page.interval);
      intervalShown = true;
    }
    if (page.jobs.length === 0) {
      fill(rows, h('tr', {}, h('td', { colspan: 7 }, offset > 0 && page.total > 0 ? 'No jobs on this page.' : 'No waiting jobs.')));
    } else {
      fill(
        rows,
        ...page.jobs.map((job, i) =>
          h(
            'tr',
            {},
            h('td', { class: 'num' }, formatNumber(offset + i)),
            h('th', { scope: 'row' }, job.job_id),
            h('td', {}, 'queued'),
            h('td', { class: 'num' }, job.requeues_remaining < 0 ? 'unlimited' : formatNumber(job.requeues_remaining)),
            h('td', { class: 'num' }, formatNumber(job.attempts ?? 0)),
            h('td', {}, job.last_error === undefined ? '' : h('span', { class: 'error-text', title: job.last_error }, shortText(job.last_error))),
            h('td', {}, h('code', { class: 'payload' }, preview(job.payload))),
          ),
        ),
      );
    }
    const last = Math.min(page.total, offset + page.jobs.length);
    pages.update(page.total === 0 ? 'No jobs' : `Jobs ${formatNumber(offset + 1)}–${formatNumber(last)} of ${formatNumber(page.total)}`, offset > 0, offset + PAGE_SIZE < page.total);
  }

  return { title: `Queue ${queueId} (${type})`, element, refresh };
}
