/**
 * Headless Chromium (Debian's `chromium` package) driven by playwright-core, for tests that read the Temporal Web UI
 * as a user does. No browser is downloaded: the system one is used, or the test fails saying how to install it.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type FrameLocator,
  type Locator,
  type Page,
} from 'playwright-core';

/** Where screenshots go (gitignored; CI keeps test-results/ as artifacts). */
export const SCREENSHOT_DIR = path.resolve('test-results', 'web-ui');

/** `MLOPS_SKIP_BROWSER_TESTS=1` skips the browser tests (developer machines without Chromium); CI runs them. */
export const skipBrowserTests = process.env['MLOPS_SKIP_BROWSER_TESTS'] === '1';

/** The Chromium binary: `CHROMIUM_PATH`, else the Debian package's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  const candidate = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(candidate)) {
    throw new Error(
      `Chromium not found at ${candidate}: the Web UI tests drive a real headless browser. Install it with ` +
        '`sudo apt-get install -y chromium` (Debian/Ubuntu), or point CHROMIUM_PATH at a Chromium/Chrome binary, ' +
        'or set MLOPS_SKIP_BROWSER_TESTS=1 to skip these tests.',
    );
  }
  return candidate;
}

/** Launches headless Chromium (no sandbox: CI runs as root). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * One browser context for the whole file, so pages share the HTTP cache (the UI's scripts load once), with a
 * viewport wide enough that the workflow header's fields are not cut off, and UTC times.
 */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1920, height: 1080 }, timezoneId: 'UTC' });
}

/** Saves a full-page screenshot as test-results/web-ui/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Opens a page (waiting up to 30 s for anything), runs `fn`, and always closes the page; on failure saves
 * `failed-<name>.png` first so the artifact shows what the browser showed.
 */
export async function withPage<T>(context: BrowserContext, name: string, fn: (page: Page) => Promise<T>): Promise<T> {
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  try {
    return await fn(page);
  } catch (err) {
    await screenshot(page, `failed-${name}`).catch(() => undefined);
    throw err;
  } finally {
    await page.close();
  }
}

/** The visible text of `locator` once it contains `wanted` (the UI is a SPA that fills in after load). */
export async function textWhen(locator: Locator, wanted: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await locator.innerText({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => last);
    if (typeof wanted === 'string' ? last.includes(wanted) : wanted.test(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(wanted)}; the element reads:\n${last}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The rendered markdown of a User Metadata panel (the UI renders summary and details in sandboxed iframes). */
export function userMetadataFrame(page: Page, which: 'summary' | 'current-details'): FrameLocator {
  return page.frameLocator(`iframe#user-metadata-${which}`);
}
