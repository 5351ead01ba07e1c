// The web console in a real browser (Debian's chromium via playwright-core) against the real CLI
// (2 workers) and a real Redis: what it shows is what the API reports, and what it does lands
// in the API. Screenshots of each view go to test-output/screenshots/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Page } from 'playwright-core';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumMissing, launchBrowser, screenshot, UI_TIMEOUT_MS, type Browser } from './browser.js';

interface Totals {
  queued: number;
  active: number;
  ready_queues: number;
  queues: number;
}

const skip = chromiumMissing();

describe('web console', { skip }, () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;

  const api = (path: string, body?: unknown) => (body === undefined ? server.api.get(path) : server.api.post(path, body));
  const enqueue = async (type: string, queueId: string, jobId: string, payload: unknown, extra: Record<string, unknown> = {}) => {
    const res = await api(`/enqueue/${type}/${queueId}/`, { job_id: jobId, interval: 1000, payload, ...extra });
    assert.equal(res.status, 201, res.text);
  };
  const totals = async (type: string): Promise<Totals> => ((await api(`/queues/${type}/?limit=1`)).body as { totals: Totals }).totals;

  before(async () => {
    redis = await startRedis();
    server = await startServer({
      redisPort: redis.port,
      workers: 2,
      startTimeoutMs: 60_000,
      config: { sharq: { job_expire_interval: '3000', job_requeue_interval: '300' } },
    });
    for (let i = 1; i <= 3; i++) {
      for (let j = 1; j <= i + 1; j++) {
        await enqueue('sms', `customer-${i}`, `msg-${i}-${j}`, { to: `+49170000${i}${j}`, text: `Your code is ${1000 + i * 10 + j}` });
      }
    }
    await enqueue('email', 'newsletter', 'welcome-1', { subject: 'Welcome', to: 'a@example.org' });
    // One active job (dequeued, not finished) so the counts are not all queued.
    assert.equal((await api('/dequeue/email/')).status, 200);
    await enqueue('email', 'newsletter', 'welcome-2', { subject: 'Welcome', to: 'b@example.org' });
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await redis?.stop();
  });

  /** The texts of the data cells of the table row whose header cell is `rowName`. */
  const cells = async (rowName: string): Promise<string[]> =>
    page.locator('tbody tr', { has: page.getByRole('rowheader', { name: rowName, exact: true }) }).first().getByRole('cell').allInnerTexts();

  test('the overview shows the queue types and the counts the API reports, and refreshes by itself', async () => {
    await page.goto(`${server.url}/ui/`);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor({ timeout: UI_TIMEOUT_MS });
    const metrics = (await api('/metrics/')).body as { queue_types: string[] };
    assert.deepEqual([...metrics.queue_types].sort(), ['email', 'sms']);
    for (const type of metrics.queue_types) {
      // Read the API on every probe: what the page shows must match what the API says now.
      let expected: Totals | undefined;
      await waitFor(
        async () => {
          expected = await totals(type);
          return (await cells(type)).slice(0, 4).join(' ') === [expected.queued, expected.active, expected.ready_queues, expected.queues].join(' ');
        },
        { what: `the overview row of ${type} to show what the API reports`, timeoutMs: UI_TIMEOUT_MS },
      );
      assert.ok(expected && expected.queued > 0);
    }
    const summary = await page.getByTestId('chart-summary').innerText();
    assert.match(summary, /Last 10 minutes: 11 enqueued, 1 dequeued/);
    await screenshot(page, 'overview');

    // Live refresh: a new job shows up without a reload.
    await enqueue('sms', 'customer-1', 'msg-late', { text: 'late' });
    await waitFor(async () => (await cells('sms'))[0] === '10', { what: 'the sms row to show 10 queued after refresh', timeoutMs: UI_TIMEOUT_MS });
  });

  test('a queue type lists its queues with their counts and filters them by prefix', async () => {
    // By keyboard: focus the link, Enter; the new page's heading gets the focus.
    await page.getByRole('link', { name: 'sms', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Queue type sms' }).waitFor();
    await waitFor(() => page.evaluate(() => document.activeElement?.tagName === 'H1'), { what: 'focus on the heading', timeoutMs: UI_TIMEOUT_MS });
    const listed = (await api('/queues/sms/')).body as { queues: { queue_id: string; queued: number; active: number; interval: number; max_active?: number | null }[] };
    for (const q of listed.queues) {
      const maxActive = q.max_active === undefined || q.max_active === null ? '-' : String(q.max_active);
      await waitFor(async () => (await cells(q.queue_id)).join(' ') === `${q.queued} ${q.active} ${q.interval.toLocaleString('en-US')} ${maxActive} no`, {
        what: `the row of ${q.queue_id}`,
        timeoutMs: UI_TIMEOUT_MS,
      });
    }
    await screenshot(page, 'queue-type');
    await page.getByLabel('Queue id starts with').fill('customer-2');
    await page.getByRole('button', { name: 'Filter' }).click();
    await waitFor(async () => (await page.getByRole('link', { name: /^customer-/ }).allInnerTexts()).join() === 'customer-2', {
      what: 'only customer-2 listed after filtering',
      timeoutMs: UI_TIMEOUT_MS,
    });
  });

  test('a queue lists its waiting jobs; changing the interval lands in the API', async () => {
    await page.getByRole('link', { name: 'customer-2' }).click();
    await page.getByRole('heading', { level: 1, name: 'Queue customer-2' }).waitFor();
    await waitFor(async () => (await cells('msg-2-1')).length > 0, { what: 'the first job row', timeoutMs: UI_TIMEOUT_MS });
    const jobs = (await api('/jobs/sms/customer-2/')).body as { jobs: { job_id: string; payload: unknown }[] };
    const rows = await page.locator('tbody tr th').allInnerTexts();
    assert.deepEqual(rows, jobs.jobs.map((job) => job.job_id), 'the jobs in the API order, next out first');
    assert.match((await cells('msg-2-1')).join(' '), /^0 queued unlimited .*"text":"Your code is 1021"/);

    const input = page.getByLabel('Interval (ms)');
    assert.equal(await input.inputValue(), '1000');
    await input.fill('4321');
    await input.press('Enter');
    await page.getByText('Interval of customer-2 set to 4,321 ms.').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(((await api('/jobs/sms/customer-2/')).body as { interval: number }).interval, 4321);
    await screenshot(page, 'queue');
  });

  test('deleting a queue asks first: Escape cancels, confirming deletes it', async () => {
    const remaining = () => api('/jobs/sms/customer-1/').then((res) => (res.body as { total: number }).total);
    await page.goto(`${server.url}/ui/#/types/sms/queues/customer-1`);
    await page.getByRole('heading', { level: 1, name: 'Queue customer-1' }).waitFor();
    await page.getByRole('button', { name: 'Delete queue…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete queue customer-1?' });
    await dialog.waitFor();
    await screenshot(page, 'queue-delete-confirm', { window: true });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'the safe choice has the focus');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await remaining(), 3);

    await page.getByRole('button', { name: 'Delete queue…' }).click();
    await dialog.getByRole('button', { name: 'Delete queue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Queue type sms' }).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await remaining(), 0);
  });

  test('dead letters: replay one and see it queued again (or "not available" without the route)', async () => {
    await enqueue('reports', 'monthly', 'report-7', { month: '2026-10' }, { requeue_limit: 0 });
    assert.equal((await api('/dequeue/reports/')).status, 200);
    const dead = await api('/dead/reports/');
    await page.goto(`${server.url}/ui/#/types/reports/dead`);
    await page.getByRole('heading', { level: 1, name: 'Dead letters of reports' }).waitFor();
    if (dead.status === 404) {
      await page.getByText('Dead letters are not available on this server').waitFor({ timeout: UI_TIMEOUT_MS });
      await screenshot(page, 'dead-letters');
      return;
    }
    // The unfinished job expires and, with no requeue left, becomes a dead letter.
    await waitFor(async () => ((await api('/dead/reports/')).body as { jobs: unknown[] }).jobs.length === 1, {
      what: 'report-7 to be discarded into the dead letters',
      timeoutMs: UI_TIMEOUT_MS,
    });
    const row = page.getByRole('row', { name: /report-7/ });
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page, 'dead-letters');
    await row.getByRole('button', { name: 'Replay report-7 of monthly' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Replay' }).click();
    await page.getByText('Job report-7 replayed into monthly.').waitFor({ timeout: UI_TIMEOUT_MS });
    const jobs = (await api('/jobs/reports/monthly/')).body as { jobs: { job_id: string }[] };
    assert.deepEqual(jobs.jobs.map((job) => job.job_id), ['report-7']);
  });

  test('readable on a phone: no sideways scrolling of the page', async () => {
    const phone = await browser.newPage({ width: 390, height: 844 });
    try {
      for (const [hash, name] of [['#/', 'overview'], ['#/types/sms/queues/customer-2', 'queue']] as const) {
        await phone.goto(`${server.url}/ui/${hash}`);
        await phone.getByRole('heading', { level: 1 }).waitFor();
        await phone.locator('tbody tr').first().waitFor({ timeout: UI_TIMEOUT_MS });
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than the phone`);
        await screenshot(phone, `phone-${name}`);
      }
    } finally {
      await phone.close();
    }
  });
});
