/**
 * The browser tier of the tests: headless Chromium from Debian's `chromium` package (a test tool's
 * own browser download cannot run here), driven through playwright-core. Where /usr/bin/chromium
 * (or SLEEPTIME_CHROMIUM) is missing the tests skip, saying so, unless SLEEPTIME_REQUIRE_BROWSER=1
 * (as `.ci/run` sets after installing it), which makes a missing browser a failure.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';

export const chromiumPath = process.env.SLEEPTIME_CHROMIUM ?? '/usr/bin/chromium';
export const requireBrowserVariable = 'SLEEPTIME_REQUIRE_BROWSER';

export interface BrowserTier {
  available: boolean;
  required: boolean;
  /** Why the tier is skipped; undefined when it runs. */
  skipReason: string | undefined;
}

export function browserTier(): BrowserTier {
  const available = existsSync(chromiumPath);
  const required = process.env[requireBrowserVariable] === '1';
  const skipReason = available || required ? undefined : `${chromiumPath} is missing (apt-get install chromium, or set SLEEPTIME_CHROMIUM)`;
  return { available, required, skipReason };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${requireBrowserVariable}=1 but there is no browser at ${chromiumPath}`);
  // As root (CI), Chromium's sandbox cannot start; the pages are our own.
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Records every request a page makes, to check that none leaves the server under test. */
export function recordRequests(page: Page): Request[] {
  const requests: Request[] = [];
  page.on('request', (request) => requests.push(request));
  return requests;
}
