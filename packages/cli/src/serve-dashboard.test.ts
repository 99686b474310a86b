/**
 * The web dashboard of `sleeptime serve` in headless Chromium, against a real `sleeptime serve`
 * child process (SQLite, sleep jobs in the same process) and a scripted OpenAI-compatible upstream:
 * a wrong key refused; signing in; a context put through the API appearing live; a sleep started
 * from the page whose run finishes live; the side-by-side diff of two learned versions; the ask
 * playground's two streamed answers with their tokens; savings; and another tenant seeing none of
 * it. No request leaves the server. With SLEEPTIME_DASHBOARD_SCREENSHOT=<file.png> it also saves a
 * screenshot of the playground (the README's, docs/dashboard.png).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrefixWarmUp, startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';
import { browserTier, launchChromium, recordRequests } from './browser-test-support.js';
import { parseJson, runCli, startCliProcess, temporaryDirectory, type CliProcess } from './cli-test-support.js';

const tier = browserTier();
if (tier.skipReason !== undefined) console.warn(`serve-dashboard.test.ts: browser tests SKIPPED: ${tier.skipReason}`);

/** The learned context names what the context says, so two versions of the context make two different learned contexts. */
function memoryFor(request: RecordedRequest): string {
  const prompt = JSON.stringify(request.body.messages ?? []);
  const pears = /(\d+) pears/.exec(prompt)?.[1];
  return [
    'LEARNED NOTES',
    'Ana buys 3 apples at $2 each: she pays $6.',
    pears === undefined ? 'No pears yet.' : `Ana also buys ${pears} pears at $1 each: $${pears} more.`,
    'Likely question: how much does Ana pay?',
  ].join('\n');
}

function script(request: RecordedRequest): ScriptedReply {
  if (isPrefixWarmUp(request)) return { text: '.', usage: { prompt_tokens: 40, completion_tokens: 1 } };
  if ((request.body.tools?.length ?? 0) > 0) {
    const afterToolResult = request.body.messages?.some((message) => message.role === 'tool') ?? false;
    return afterToolResult
      ? { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: { prompt_tokens: 120, completion_tokens: 4 } }
      : { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: memoryFor(request) } }], usage: { prompt_tokens: 100, completion_tokens: 60 } };
  }
  // An ask: short from the learned notes, long without them (the test-time-only baseline).
  return JSON.stringify(request.body.messages ?? []).includes('LEARNED NOTES')
    ? { text: 'From the notes: Ana pays $6. The answer is 6.', usage: { prompt_tokens: 180, completion_tokens: 12 } }
    : { text: 'Ana buys 3 apples. Each costs $2. 3 times $2 is $6. So she pays $6. The answer is 6.', usage: { prompt_tokens: 90, completion_tokens: 48 } };
}

describe.skipIf(tier.skipReason !== undefined)('the dashboard of sleeptime serve, in Chromium', () => {
  let upstream: ScriptedOpenAIServer;
  let serve: CliProcess;
  let baseUrl = '';
  let keyA = '';
  let keyB = '';
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const requests: Request[] = [];

  const api = (key: string, route: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${route}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    requests.push(...recordRequests(page));
    return page;
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.goto(`${baseUrl}/ui`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Contexts' }).waitFor();
    await page.locator('[data-live="live"]').waitFor();
  }

  beforeAll(async () => {
    browser = await launchChromium();
    upstream = await startScriptedOpenAIServer(script);
    const dataDir = await temporaryDirectory('dashboard');
    const env = { SLEEPTIME_DATA_DIR: dataDir, SLEEPTIME_MODEL: 'openai-compatible:scripted', SLEEPTIME_BASE_URL: upstream.baseUrl };
    // Sleeps only when asked (a long quiet period), so the test decides when learned versions appear.
    serve = startCliProcess(['serve', '--port', '0', '--quiet-period-ms', '600000'], env);
    baseUrl = (await serve.waitForStdout(/sleeptime serving on (http:\/\/\S+) /))[1] ?? '';
    keyA = /API key \(shown once, keep it\):\n\s+(sk-sleeptime-\S+)/.exec(serve.stdout())?.[1] ?? '';
    keyB = parseJson<{ key: string }>(await runCli(['keys', 'create', '--tenant', 'other', '--json'], env)).key;
    expect(keyA).not.toBe('');
  }, 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    serve?.child.kill('SIGTERM');
    if (serve !== undefined) expect(await serve.exited).toBe(0);
    await upstream?.close();
    // Everything the pages asked for came from the server under test.
    const origins = new Set(requests.map((request) => new URL(request.url()).origin));
    expect([...origins].filter((origin) => origin !== baseUrl && origin !== 'null')).toEqual([]);
  }, 30_000);

  it('refuses a wrong key, and keeps it out of the address bar', async () => {
    const page = await newPage();
    await page.goto(`${baseUrl}/ui`);
    await page.getByLabel('API key').fill('sk-sleeptime-not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown or revoked');
    expect(page.url()).not.toContain('sk-sleeptime');
    expect(await page.getByRole('heading', { name: 'Contexts' }).count()).toBe(0);
  });

  it('signs in and shows a context put through the API without reloading', async () => {
    const page = await newPage();
    await signIn(page, keyA);
    await page.getByText('No contexts yet').waitFor();
    expect((await api(keyA, '/v1/contexts/groceries', { method: 'PUT', body: JSON.stringify({ text: 'Ana buys 3 apples at $2 each.' }) })).status).toBe(201);
    // The write enqueued the context's sleep job: its event makes the list read again.
    const row = page.locator('tr[data-context="groceries"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('no learned context');
    expect(page.url()).not.toContain(keyA);
  });

  it('starts a sleep, watches its run finish live, and shows the diff between two learned versions', async () => {
    const page = await newPage();
    await signIn(page, keyA);
    await page.goto(`${baseUrl}/ui#/contexts/groceries/runs`);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.getByText('No runs yet.').waitFor();
    await page.getByRole('button', { name: 'Sleep now' }).click();
    await page.locator('li.run[data-run-kind="sleep"][data-run-status="succeeded"]').waitFor();
    expect(await page.locator('li.run[data-run-kind="sleep"]').first().textContent()).toContain('220 in · 64 out');

    // The context changes, and a second sleep makes a second learned version.
    await api(keyA, '/v1/contexts/groceries', { method: 'PUT', body: JSON.stringify({ text: 'Ana buys 3 apples at $2 each and 4 pears at $1 each.' }) });
    await page.getByRole('button', { name: 'Sleep now' }).click();
    await expect.poll(() => page.locator('li.run[data-run-kind="sleep"][data-run-status="succeeded"]').count()).toBe(2);

    await page.getByRole('link', { name: 'Learned context' }).click();
    const diff = page.getByRole('table', { name: 'Differences between learned versions 1 and 2' });
    await diff.waitFor();
    expect(await diff.locator('td.removed').allTextContents()).toEqual(['No pears yet.']);
    expect(await diff.locator('td.added').allTextContents()).toEqual(['Ana also buys 4 pears at $1 each: $4 more.']);
    // Any two versions: pick them the other way round.
    await page.getByLabel('From').selectOption('2');
    await page.getByLabel('to').selectOption('1');
    await page.getByRole('table', { name: 'Differences between learned versions 2 and 1' }).waitFor();
  });

  it('asks in the playground with and without the learned context, and shows both answers with their tokens and the savings', async () => {
    const page = await newPage();
    await signIn(page, keyA);
    await page.goto(`${baseUrl}/ui#/contexts/groceries/ask`);
    await page.getByLabel('Question').fill('How much does Ana pay for the apples?');
    await page.getByRole('button', { name: 'Ask both' }).click();
    const learned = page.locator('[data-side="learned"]');
    const baseline = page.locator('[data-side="baseline"]');
    await learned.locator('[data-metric="output-tokens"]').waitFor();
    await baseline.locator('[data-metric="output-tokens"]').waitFor();
    expect(await learned.locator('.answer-text').textContent()).toBe('From the notes: Ana pays $6. The answer is 6.');
    expect(await learned.locator('[data-metric="output-tokens"]').textContent()).toBe('12');
    expect(await baseline.locator('.answer-text').textContent()).toContain('3 times $2 is $6');
    expect(await baseline.locator('[data-metric="output-tokens"]').textContent()).toBe('48');
    expect(await page.getByRole('status').filter({ hasText: 'output tokens against' }).textContent()).toContain('12 output tokens against 48');
    const screenshot = process.env.SLEEPTIME_DASHBOARD_SCREENSHOT;
    if (screenshot !== undefined && screenshot !== '') {
      await mkdir(path.dirname(path.resolve(screenshot)), { recursive: true });
      await page.screenshot({ path: path.resolve(screenshot) });
    }

    // Both asks count in the savings: 12 against 48 generated tokens; 128 sleep-time tokens over 1 question.
    await page.getByRole('link', { name: 'Savings' }).nth(1).click();
    await expect.poll(() => page.locator('[data-metric="learned-cost"]').textContent()).toBe('248');
    expect(await page.locator('[data-metric="baseline-cost"]').textContent()).toBe('480');
  });

  it('shows another tenant none of the first tenant\'s data', async () => {
    const page = await newPage();
    await signIn(page, keyB);
    await page.getByText('No contexts yet').waitFor();
    expect(await page.locator('tr[data-context]').count()).toBe(0);
    await page.goto(`${baseUrl}/ui#/contexts/groceries/runs`);
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('context_not_found');
    expect(await page.locator('li.run').count()).toBe(0);
    await page.goto(`${baseUrl}/ui#/savings`);
    await page.getByText('Over the 0 contexts').waitFor();
    expect(await page.content()).not.toContain('groceries');
  });
});
