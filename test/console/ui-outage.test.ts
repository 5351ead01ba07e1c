// The console when Redis goes away under it: the refresh error is announced, the data stays,
// and it recovers by itself (a fault test, in its own file).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startRedis, type RedisServerHandle } from '../helpers/redis.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { chromiumMissing, launchBrowser, screenshot, UI_TIMEOUT_MS, type Browser } from './browser.js';

const skip = chromiumMissing();

describe('web console when Redis goes away', { skip }, () => {
  let redis: RedisServerHandle;
  let server: ServerHandle;
  let browser: Browser;

  before(async () => {
    redis = await startRedis();
    server = await startServer({ redisPort: redis.port, workers: 2, startTimeoutMs: 60_000 });
    await server.api.post('/enqueue/sms/q/', { job_id: 'a', interval: 0, payload: 1 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await redis?.stop();
  });

  test('a failed refresh is announced, the last data stays on the page, and it recovers by itself', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/ui/`);
    await page.getByRole('link', { name: 'sms', exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
    await redis.stop();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not refresh' });
    await alert.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await alert.innerText(), /503/);
    assert.equal(await page.getByRole('link', { name: 'sms', exact: true }).count(), 1, 'the table is still there');
    await screenshot(page, 'refresh-error');
    // Redis back (empty: it kept nothing): the next refresh clears the alert by itself.
    await redis.restart();
    await alert.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
  });
});
