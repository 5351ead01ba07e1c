// Debian's chromium (never a downloaded browser) driven by playwright-core, for the console tests.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { repoRoot } from '../helpers/server.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of each view land here (git-ignored); README's copies are in docs/. */
export const SCREENSHOT_DIR = path.join(repoRoot, 'test-output', 'screenshots');

/** Generous: the console refreshes every 5 s and the machine may be loaded. */
export const UI_TIMEOUT_MS = 20_000;

export interface Browser {
  context: BrowserContext;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'sharq-console-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // No network of its own: no updates, no sync, no first-run pages, nothing but our server.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    viewport: { width: 1280, height: 900 },
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A screenshot as tall as the content (not the window), unless `window` keeps the viewport (dialogs). */
export async function screenshot(page: Page, name: string, { window = false } = {}): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  const viewport = page.viewportSize();
  if (window || viewport === null) {
    await page.screenshot({ path: file });
    return file;
  }
  // A short window makes the full-page shot exactly as tall as the page's content.
  await page.setViewportSize({ width: viewport.width, height: 200 });
  try {
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await page.setViewportSize(viewport);
  }
  return file;
}
