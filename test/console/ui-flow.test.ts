// Flow control in the web console (SPEC 5.14) in a real browser against the real CLI with auth_tokens:
// the type page and the queue page show limits and pauses, and their Pause and Resume buttons (sent
// with the console's token) land in the server, read back with GET /limits/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Page } from 'playwright-core';

import { SharqClient } from '../../src/client/client.js';
import { seeReply } from '../helpers/openapi-validator.js';
import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumMissing, launchBrowser, screenshot, UI_TIMEOUT_MS, type Browser } from './browser.js';

const skip = chromiumMissing();
const TOKEN = 's3cret';

describe('web console: flow control', { skip }, () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  let client: SharqClient;
  const drift: string[] = [];
  /** The Authorization header of every pause and resume the page sent. */
  const flowAuth: (string | undefined)[] = [];

  before(async () => {
    redis = await startRedis();
    server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 60_000, config: { 'sharq-server': { auth_tokens: TOKEN } } });
    client = new SharqClient({ url: server.url, token: TOKEN, onReply: (r) => drift.push(...seeReply(r)) });
    for (const [queueId, maxActive] of [['acct-1', 2], ['acct-2', undefined]] as const) {
      for (const jobId of ['m1', 'm2']) await client.enqueue({ queueType: 'carrier', queueId, jobId, interval: 1000, payload: { jobId }, maxActive });
    }
    await client.setTypeLimits({ queueType: 'carrier', maxActive: 10, ratePerS: 50, burst: 20 });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('request', (request) => {
      if (/\/(pause|resume)\//.test(new URL(request.url()).pathname)) flowAuth.push(request.headers().authorization);
    });
    // The console asks for the token once and keeps it for the tab.
    await page.goto(`${server.url}/ui/`);
    const dialog = page.getByRole('dialog', { name: 'This server needs a token' });
    await dialog.getByLabel('Bearer token').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Use token' }).click();
    await page.getByRole('link', { name: 'carrier', exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await redis?.stop();
    assert.deepEqual(drift, [], 'replies that do not match openapi.json');
  });

  /** The value shown for `name` in a view's facts (a <dt>/<dd> pair). */
  const fact = (name: string): Promise<string> =>
    page.locator('dl div').filter({ has: page.locator('dt', { hasText: new RegExp(`^${name.replace(/[()]/g, '\\$&')}$`) }) }).locator('dd').innerText();
  /** Waits until `name` shows `expected`, naming both in the timeout. */
  const factShows = (name: string, expected: string | RegExp) =>
    waitFor(async () => (typeof expected === 'string' ? (await fact(name)) === expected : expected.test(await fact(name))), {
      what: `${name} to show ${String(expected)}`,
      timeoutMs: UI_TIMEOUT_MS,
    });
  /** The texts of the data cells of the table row whose header cell is `rowName`. */
  const cells = (rowName: string): Promise<string[]> =>
    page.locator('tbody tr', { has: page.getByRole('rowheader', { name: rowName, exact: true }) }).first().getByRole('cell').allInnerTexts();
  const focused = () => page.evaluate(() => document.activeElement?.textContent ?? '');

  test('the type page shows the type\'s limits and each queue\'s max_active and pause', async () => {
    await page.goto(`${server.url}/ui/#/types/carrier`);
    await page.getByRole('heading', { level: 1, name: 'Queue type carrier' }).waitFor();
    await factShows('Max active', '10');
    assert.equal(await fact('Rate (jobs/s)'), '50');
    assert.equal(await fact('Burst'), '20');
    assert.equal(await fact('Paused'), 'no');
    await waitFor(async () => (await cells('acct-1')).join(' ') === '2 0 1,000 2 no', { what: 'the row of acct-1', timeoutMs: UI_TIMEOUT_MS });
    assert.deepEqual((await cells('acct-2')).slice(3), ['-', 'no'], 'no max_active: shown as -');
    assert.equal(await page.getByRole('button', { name: 'Resume type' }).isDisabled(), true, 'nothing to resume');
  });

  test('Pause type pauses the whole type; the page and the overview say so; Resume type ends it', async () => {
    await page.getByRole('button', { name: 'Pause type' }).click();
    await page.getByText('Paused type carrier until resumed.').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.deepEqual(await client.limits({ queueType: 'carrier' }), { maxActive: 10, ratePerS: 50, burst: 20, paused: true, pausedUntilMs: null });
    await factShows('Paused', 'until resumed');
    assert.equal(await focused(), 'Resume type', 'the focus moves to the button that now applies');
    assert.equal(await page.getByRole('button', { name: 'Pause type' }).isDisabled(), true);
    assert.equal(await client.dequeue({ queueType: 'carrier' }), null, 'a paused type hands out nothing');
    await screenshot(page, 'queue-type-paused');

    await page.goto(`${server.url}/ui/#/`);
    await waitFor(async () => (await cells('carrier'))[4] === 'until resumed', { what: 'the overview to show carrier paused', timeoutMs: UI_TIMEOUT_MS });

    await page.goto(`${server.url}/ui/#/types/carrier`);
    await page.getByRole('button', { name: 'Resume type' }).click();
    await page.getByText('Resumed type carrier.').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal((await client.limits({ queueType: 'carrier' })).paused, false);
    await factShows('Paused', 'no');
    assert.equal(await focused(), 'Pause type');
  });

  test('a pause for a while, set through the API, shows until when', async () => {
    const until = await client.pause({ queueType: 'carrier', forMs: 3_600_000 });
    assert.equal(typeof until, 'number');
    // Shown by the next live refresh, as a time of day (with the date when that is not today).
    await factShows('Paused', /^until (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d$/);
    await client.resume({ queueType: 'carrier' });
    await factShows('Paused', 'no');
  });

  test('Pause queue and Resume queue act on that queue only; the type page lists it paused', async () => {
    await page.goto(`${server.url}/ui/#/types/carrier/queues/acct-1`);
    await page.getByRole('heading', { level: 1, name: 'Queue acct-1' }).waitFor();
    await factShows('Max active', '2');
    assert.equal(await fact('Paused'), 'no');
    await page.getByRole('button', { name: 'Pause queue' }).click();
    await page.getByText('Paused queue acct-1 until resumed.').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.deepEqual(await client.limits({ queueType: 'carrier', queueId: 'acct-1' }), { interval: 1000, maxActive: 2, paused: true, pausedUntilMs: null });
    assert.equal((await client.limits({ queueType: 'carrier', queueId: 'acct-2' })).paused, false, 'the other queue goes on');
    assert.equal((await client.limits({ queueType: 'carrier' })).paused, false, 'the type goes on');
    await factShows('Paused', 'until resumed');
    assert.equal(await focused(), 'Resume queue');
    await screenshot(page, 'queue-paused');

    await page.getByRole('link', { name: 'carrier', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Queue type carrier' }).waitFor();
    await waitFor(async () => (await cells('acct-1'))[4] === 'until resumed', { what: 'acct-1 listed paused', timeoutMs: UI_TIMEOUT_MS });
    assert.equal((await cells('acct-2'))[4], 'no');

    await page.getByRole('link', { name: 'acct-1', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Queue acct-1' }).waitFor();
    await page.getByRole('button', { name: 'Resume queue' }).click();
    await page.getByText('Resumed queue acct-1.').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal((await client.limits({ queueType: 'carrier', queueId: 'acct-1' })).paused, false);
    await factShows('Paused', 'no');
  });

  test('the queue page says when its type is paused', async () => {
    const note = page.getByText('Type carrier is paused until resumed: none of its queues hands out jobs until then.');
    await client.pause({ queueType: 'carrier' });
    await note.waitFor({ timeout: UI_TIMEOUT_MS });
    await client.resume({ queueType: 'carrier' });
    await note.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
  });

  test('a refused pause is said in place and leaves the state and the buttons as they were', async () => {
    await page.route(/\/pause\//, (route) => route.fulfill({ status: 503, json: { status: 'failure', message: 'Redis is unavailable' } }));
    try {
      await page.getByRole('button', { name: 'Pause queue' }).click();
      await page.getByText(/POST \/pause\/carrier\/acct-1\/: 503 Redis is unavailable/).waitFor({ timeout: UI_TIMEOUT_MS });
      assert.equal(await page.getByRole('button', { name: 'Pause queue' }).isEnabled(), true, 'it can be tried again');
      assert.equal(await focused(), 'Pause queue');
      assert.equal((await client.limits({ queueType: 'carrier', queueId: 'acct-1' })).paused, false);
    } finally {
      await page.unroute(/\/pause\//);
    }
  });

  test('every pause and resume the page sent carried the console\'s token', () => {
    assert.ok(flowAuth.length >= 5, `${flowAuth.length} requests seen`);
    assert.deepEqual(new Set(flowAuth), new Set([`Bearer ${TOKEN}`]));
  });
});
