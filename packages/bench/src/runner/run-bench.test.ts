/**
 * runBench end to end against the scripted OpenAI-compatible server (a real HTTP server on
 * 127.0.0.1) through createModel: sharing of sleep runs, grading, usage accounting, pass@k, the
 * context-only prompt, the call cache, failed cells, fatal errors and cancellation.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verbosityInstructions } from '@sleeptime/core';
import { createModel } from '@sleeptime/core';
import type { SleeptimeModel } from '@sleeptime/core';
import { sumUsage, type Usage } from '@sleeptime/core';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer, type ScriptedUsage } from '@sleeptime/core/testing';
import type { BenchResultRow } from '../bench-types.js';
import { deriveSeed, expandGrid, type GridSpecInput } from './grid.js';
import { readResultsFile } from './results-file.js';
import { runBench, type BenchProgress } from './run-bench.js';
import { benchTestItems, createBenchScript, standardBenchAnswer, type BenchScriptOptions, type BenchServerLogEntry } from './runner-test-support.js';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';

const grid: GridSpecInput = {
  testBudgets: { verbosity: [0, 2] },
  sleepBudgets: { parallel: [1, 2] },
  passAtK: [1, 2, 5],
};

const fastRetries = { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2, timeoutMs: 10_000 };

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sleeptime-run-bench-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const servers: ScriptedOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

let directoryCounter = 0;
function paths(): { resultsPath: string; cacheDir: string } {
  directoryCounter += 1;
  return { resultsPath: join(root, `run-${directoryCounter}`, 'results.jsonl'), cacheDir: join(root, `run-${directoryCounter}`, 'cache') };
}

async function scriptedSetup(options: Partial<BenchScriptOptions> = {}): Promise<{ server: ScriptedOpenAIServer; log: BenchServerLogEntry[]; model: SleeptimeModel }> {
  const { script, log } = createBenchScript({ answer: standardBenchAnswer, ...options });
  const server = await startScriptedOpenAIServer(script);
  servers.push(server);
  const model = await createModel('openai-compatible:scripted', { baseUrl: server.baseUrl, env: {}, retry: fastRetries });
  return { server, log, model };
}

function asUsage(usage: ScriptedUsage): Usage {
  return { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, reasoningTokens: usage.reasoning_tokens ?? 0 };
}


function find(rows: BenchResultRow[], itemId: string, condition: BenchResultRow['condition'], extra: (row: BenchResultRow) => boolean = () => true): BenchResultRow {
  const matches = rows.filter((row) => row.itemId === itemId && row.condition === condition && extra(row));
  expect(matches, `${itemId} ${condition}`).toHaveLength(1);
  return matches[0] as BenchResultRow;
}

describe('runBench on the scripted server', () => {
  // 3 items x (2 test-time-only + 2x2 sleep-time + 2 context-only + 3 pass@k) cells.
  const expectedRows = 3 * (2 + 4 + 2 + 3);
  let rows: BenchResultRow[];
  let log: BenchServerLogEntry[];
  let server: ScriptedOpenAIServer;
  let model: SleeptimeModel;
  let files: { resultsPath: string; cacheDir: string };
  const progressEvents: BenchProgress[] = [];

  beforeAll(async () => {
    ({ server, log, model } = await scriptedSetup());
    files = paths();
    const result = await runBench({ items: benchTestItems, grid, model, ...files, concurrency: 3, onProgress: (event) => progressEvents.push(event) });
    rows = result.rows;
    expect(result.written).toBe(expectedRows);
    expect(result.skipped).toBe(0);
  });
  afterAll(async () => {
    await server.close();
  });

  it('writes one row per cell to the results file, each key once', async () => {
    expect(rows).toHaveLength(expectedRows);
    const { rows: fileRows, tornLastLine } = await readResultsFile(files.resultsPath);
    expect(tornLastLine).toBe(false);
    expect(new Set(fileRows.map((row) => row.key)).size).toBe(expectedRows);
    expect(fileRows.map((row) => row.key).sort()).toEqual(expandGrid(benchTestItems, grid, { model: model.spec }).map((cell) => cell.key).sort());
    expect(rows.every((row) => row.model === 'openai-compatible:scripted')).toBe(true);
  });

  it('makes one sleep run per context group and sleep budget, shared by the group\'s queries', () => {
    const sleepRequests = log.filter((entry) => entry.info.kind === 'sleep');
    // Groups apples and pens, k = 1 and k = 2: 2 x (1 + 2) branches, each a rewrite then a finish.
    expect(sleepRequests).toHaveLength(12);
    const sleepRows = rows.filter((row) => row.condition === 'sleep-time');
    expect(sleepRows).toHaveLength(12);
    expect(new Set(sleepRows.map((row) => row.sleepRunKey)).size).toBe(4);
    // Both apples queries read the same run for a given k.
    for (const parallel of [1, 2]) {
      const keys = new Set(sleepRows.filter((row) => row.contextGroup === 'apples' && row.sleepBudget?.parallel === parallel).map((row) => row.sleepRunKey));
      expect(keys.size).toBe(1);
    }
    // The call cache would hide unshared sleep runs from the server, so count the calls the runner
    // made through it: 49 made, and 11 answered by the cache, all of them asks (the two apples
    // queries send one context-only prompt at 2 verbosities: 2; pass@1 and pass@2 reuse pass@5's
    // samples: 3 x 3). A sleep run made once per query would add its calls here.
    const last = progressEvents.at(-1) as BenchProgress;
    expect([last.modelCalls, last.cachedCalls]).toEqual([49, 11]);
    // The k branches are distinct draws: distinct seeds.
    const appleSeedsAtK2 = new Set(
      sleepRequests.filter((entry) => entry.info.context?.includes('apples') === true && entry.info.temperature === 0.7).map((entry) => entry.info.seed),
    );
    expect(appleSeedsAtK2).toEqual(new Set([deriveSeed(0, 'sleep-branch-0'), deriveSeed(0, 'sleep-branch-1')]));
  });

  it('records on each sleep-time row the usage the server reported for its sleep run', () => {
    for (const row of rows.filter((candidate) => candidate.condition === 'sleep-time')) {
      const item = benchTestItems.find((candidate) => candidate.id === row.itemId);
      const parallel = row.sleepBudget?.parallel ?? 0;
      const runRequests = log.filter(
        (entry) => entry.info.kind === 'sleep' && entry.info.context === item?.context && entry.info.temperature === (parallel > 1 ? 0.7 : 0),
      );
      expect(runRequests).toHaveLength(2 * parallel);
      expect(row.sleepUsage).toEqual(sumUsage(runRequests.map((entry) => asUsage(entry.usage))));
      expect(row.sleepUsage?.reasoningTokens).toBeGreaterThanOrEqual(0);
    }
    expect(rows.filter((row) => row.condition !== 'sleep-time').every((row) => row.sleepRunKey === null && row.sleepUsage === null)).toBe(true);
  });

  it('grades answers: right and wrong, per condition', () => {
    const correctness = (condition: BenchResultRow['condition']) =>
      Object.fromEntries(benchTestItems.map((item) => [item.id, rows.filter((row) => row.itemId === item.id && row.condition === condition).map((row) => row.correct)]));
    expect(correctness('test-time-only')).toEqual({ 'apples-1': [true, true], 'apples-2': [false, false], 'pens-1': [false, false] });
    expect(correctness('sleep-time')).toEqual({ 'apples-1': [true, true, true, true], 'apples-2': [true, true, true, true], 'pens-1': [true, true, true, true] });
    expect(correctness('context-only')).toEqual({ 'apples-1': [true, true], 'apples-2': [false, false], 'pens-1': [false, false] });
    const wrong = find(rows, 'apples-2', 'test-time-only', (row) => row.testBudget.verbosity === 0);
    expect(wrong.final).toBe(3);
    expect(wrong.expected).toBe(2);
    expect(rows.every((row) => row.error === undefined)).toBe(true);
  });

  it('records the test-time usage the server reported for each ask, and the verbosity prompt of the budget', () => {
    for (const row of rows.filter((candidate) => candidate.condition === 'test-time-only' || candidate.condition === 'sleep-time')) {
      const item = benchTestItems.find((candidate) => candidate.id === row.itemId);
      const verbosity = row.testBudget.verbosity as 0 | 2;
      const asks = log.filter(
        (entry) =>
          entry.info.kind === 'ask' &&
          entry.info.question === item?.query &&
          entry.info.temperature === 0 &&
          entry.info.user.startsWith(verbosityInstructions[verbosity]) &&
          (row.condition === 'sleep-time'
            ? entry.info.learned !== null && entry.info.learned.includes(`seed ${deriveSeed(0, 'sleep-branch-1')}`) === ((row.sleepBudget?.parallel ?? 1) > 1)
            : entry.info.learned === null),
      );
      expect(asks, `${row.itemId} ${row.condition} v${verbosity}`).toHaveLength(1);
      expect(row.testUsage).toEqual(asUsage((asks[0] as BenchServerLogEntry).usage));
      expect(row.testUsage.reasoningTokens).toBe((asks[0] as BenchServerLogEntry).usage.reasoning_tokens);
    }
  });

  it('pass@k: k samples with distinct seeds at the lowest budget, correct if any is, usage summed', () => {
    const sampleSeeds = [0, 1, 2, 3, 4].map((sample) => deriveSeed(0, `pass-at-k-sample-${sample}`));
    expect(new Set(sampleSeeds).size).toBe(5);
    for (const item of benchTestItems) {
      for (const samples of [1, 2, 5]) {
        const row = find(rows, item.id, 'pass-at-k', (candidate) => candidate.samples === samples);
        expect(row.testBudget).toEqual({ verbosity: 0 });
        const sampleRequests = log.filter(
          (entry) => entry.info.kind === 'ask' && entry.info.question === item.query && entry.info.temperature === 0.7 && sampleSeeds.slice(0, samples).includes(entry.info.seed ?? -1),
        );
        expect(sampleRequests).toHaveLength(samples);
        expect(sampleRequests.every((entry) => entry.info.user.startsWith(verbosityInstructions[0]))).toBe(true);
        expect(row.testUsage).toEqual(sumUsage(sampleRequests.map((entry) => asUsage(entry.usage))));
        // Only sample 2 answers right.
        expect(row.correct).toBe(samples === 5);
        expect(row.final).toBe(samples === 5 ? item.answer : item.answer + 1);
      }
    }
    // pass@5 draws samples 0-4 once for all k: the smaller k reuse them through the cache.
    expect(log.filter((entry) => entry.info.kind === 'ask' && entry.info.temperature === 0.7)).toHaveLength(3 * 5);
  });

  it('context-only: the prompt shows the context but never the query', () => {
    const contextOnly = log.filter((entry) => entry.info.kind === 'context-only');
    // One request per context and verbosity: the two apples queries send the same prompt.
    expect(contextOnly).toHaveLength(2 * 2);
    for (const entry of contextOnly) {
      expect(entry.info.context === benchTestItems[0]?.context || entry.info.context === benchTestItems[2]?.context).toBe(true);
      for (const item of benchTestItems) expect(entry.request.rawBody).not.toContain(item.query);
    }
  });

  it('reports progress after every row, ending at the totals', () => {
    expect(progressEvents.length).toBe(expectedRows + 1);
    const last = progressEvents.at(-1) as BenchProgress;
    expect(last.done).toBe(expectedRows);
    expect(last.total).toBe(expectedRows);
    expect(last.correct).toBe(rows.filter((row) => row.correct).length);
    expect(last.testTokens).toBe(rows.reduce((total, row) => total + row.testUsage.outputTokens, 0));
    const sleepRuns = new Map(rows.filter((row) => row.sleepRunKey !== null).map((row) => [row.sleepRunKey, row.sleepUsage?.outputTokens ?? 0]));
    expect(last.sleepTokens).toBe([...sleepRuns.values()].reduce((total, tokens) => total + tokens, 0));
    expect(last.modelCalls).toBe(server.requests.length);
    expect(last.etaMs).toBe(0);
    expect(progressEvents.map((event) => event.done)).toEqual(Array.from({ length: expectedRows + 1 }, (_, index) => index));
  });

  it('a rerun into a new results file costs no model call (the cache), and gives the same rows', async () => {
    const requestsBefore = server.requests.length;
    const again = await runBench({ items: benchTestItems, grid, model, resultsPath: join(root, 'rerun-from-cache.jsonl'), cacheDir: files.cacheDir });
    expect(server.requests.length).toBe(requestsBefore);
    expect(again.written).toBe(expectedRows);
    // The server is gone (closed after the first test): the rerun cannot ask what it is.
    expect(again.rows.every((row) => row.provenance?.kind === 'unknown')).toBe(true);
    const strip = ({ provenance: _provenance, ...row }: BenchResultRow) => ({ ...row, createdAt: '' });
    expect(again.rows.map(strip)).toEqual(rows.map(strip));
  });

  it('a rerun on the same results file skips every cell and makes no call', async () => {
    const requestsBefore = server.requests.length;
    const again = await runBench({ items: benchTestItems, grid, model, ...files });
    expect(again).toMatchObject({ written: 0, skipped: expectedRows });
    expect(again.rows).toEqual(rows);
    expect(server.requests.length).toBe(requestsBefore);
    expect((await readResultsFile(files.resultsPath)).rows).toHaveLength(expectedRows);
  });
});

describe('runBench: failures', () => {
  const smallGrid: GridSpecInput = { conditions: ['test-time-only', 'sleep-time'], testBudgets: [{ verbosity: 0 }], sleepBudgets: [{ parallel: 1 }] };

  it('writes a failed cell as a row with its error, keeps going, and retries it on the next run', async () => {
    let pensFail = true;
    const { model, server } = await scriptedSetup({
      override: (info) => (pensFail && info.question === 'How many pens are in 3 boxes?' ? { status: 500 } : undefined),
    });
    const files = paths();
    const first = await runBench({ items: benchTestItems, grid: smallGrid, model, ...files });
    expect(first.rows).toHaveLength(6);
    const failed = first.rows.filter((row) => row.error !== undefined);
    expect(failed.map((row) => [row.itemId, row.condition, row.correct, row.final, row.error?.code])).toEqual([
      ['pens-1', 'test-time-only', false, null, 'upstream_server_error'],
      ['pens-1', 'sleep-time', false, null, 'upstream_server_error'],
    ]);
    // The sleep run itself succeeded; its usage is still on the failed sleep-time row.
    expect(failed[1]?.sleepUsage?.outputTokens).toBeGreaterThan(0);

    pensFail = false;
    const requestsBefore = server.requests.length;
    const second = await runBench({ items: benchTestItems, grid: smallGrid, model, ...files });
    expect(second).toMatchObject({ written: 2, skipped: 4 });
    // Only the two failed asks were made again; the sleep run came from the cache.
    expect(server.requests.length - requestsBefore).toBe(2);
    const { rows } = await readResultsFile(files.resultsPath);
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((row) => row.key)).size).toBe(6);
    expect(rows.filter((row) => row.error !== undefined)).toHaveLength(0);
    const pens = Object.fromEntries(rows.filter((row) => row.itemId === 'pens-1').map((row) => [row.condition, row.correct]));
    expect(pens).toEqual({ 'test-time-only': false, 'sleep-time': true });
  });

  it('a failed shared sleep run fails every row that reads it, not the run', async () => {
    const { model, log } = await scriptedSetup({ override: (info) => (info.kind === 'sleep' && info.context?.includes('apples') === true ? { status: 503 } : undefined) });
    const result = await runBench({ items: benchTestItems, grid: smallGrid, model, ...paths() });
    const sleepRows = result.rows.filter((row) => row.condition === 'sleep-time');
    expect(sleepRows.map((row) => [row.itemId, row.error?.code ?? 'ok'])).toEqual([
      ['apples-1', 'upstream_server_error'],
      ['apples-2', 'upstream_server_error'],
      ['pens-1', 'ok'],
    ]);
    expect(log.filter((entry) => entry.info.kind === 'ask' && entry.info.learned !== null)).toHaveLength(1);
  });

  it('stops with the error when the provider refuses the API key, writing no row', async () => {
    const { model, server } = await scriptedSetup({ override: () => ({ status: 401 }) });
    const files = paths();
    const error = await sleeptimeErrorOf(runBench({ items: benchTestItems, grid, model, ...files, concurrency: 2 }));
    expect(error.code).toBe('upstream_request_rejected');
    expect(error.message).toMatch(/API key/);
    expect((await readResultsFile(files.resultsPath)).rows).toHaveLength(0);
    // Stopped at once: at most the calls already in flight or granted a slot, of the 49 the grid needs.
    expect(server.requests.length).toBeLessThanOrEqual(4);
  });

  it('stops with a user error for a budget the provider lacks, before any call', async () => {
    const { model, server } = await scriptedSetup();
    const error = await sleeptimeErrorOf(runBench({ items: benchTestItems, grid: { testBudgets: [{ thinkingBudget: 2048 }] }, model, ...paths() }));
    expect(error.category).toBe('user');
    expect(error.code).toBe('unsupported_budget');
    expect(server.requests).toHaveLength(0);
  });

  it('stops with a system error when the results file cannot be written', async () => {
    const { model } = await scriptedSetup();
    const blocker = join(root, 'a-file');
    await writeFile(blocker, 'not a folder');
    const error = await sleeptimeErrorOf(runBench({ items: benchTestItems, grid: smallGrid, model, resultsPath: join(blocker, 'results.jsonl'), cacheDir: join(root, 'cache-x') }));
    expect(error.category).toBe('system');
    expect(error.message).toContain(join(blocker, 'results.jsonl'));
  });

  it('rejects a bad grid and inconsistent items as user errors', async () => {
    const { model } = await scriptedSetup();
    const badGrid = await sleeptimeErrorOf(runBench({ items: benchTestItems, grid: { seeds: [-1] } as GridSpecInput, model, ...paths() }));
    expect(badGrid.code).toBe('invalid_grid');
    const [first, second] = benchTestItems as [(typeof benchTestItems)[0], (typeof benchTestItems)[0]];
    const inconsistent = await sleeptimeErrorOf(runBench({ items: [first, { ...second, context: 'Other text.' }], grid: smallGrid, model, ...paths() }));
    expect(inconsistent.code).toBe('inconsistent_context_group');
  });
});

describe('runBench: cancellation and concurrency', () => {
  it('stops on abort with the rows so far on disk; the next run finishes the rest', async () => {
    const { model, server } = await scriptedSetup();
    const files = paths();
    const controller = new AbortController();
    const error = await sleeptimeErrorOf(
      runBench({
        items: benchTestItems,
        grid,
        model,
        ...files,
        concurrency: 2,
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.done >= 5) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('aborted');
    const partial = (await readResultsFile(files.resultsPath)).rows;
    expect(partial.length).toBeGreaterThanOrEqual(5);
    expect(partial.length).toBeLessThan(33);
    const resumed = await runBench({ items: benchTestItems, grid, model, ...files });
    expect(resumed.skipped).toBe(partial.length);
    expect(resumed.written).toBe(33 - partial.length);
    const final = (await readResultsFile(files.resultsPath)).rows;
    expect(final).toHaveLength(33);
    expect(new Set(final.map((row) => row.key)).size).toBe(33);
    expect(server.requests.length).toBeGreaterThan(0);
  });

  it('never has more model calls in flight than the concurrency bound, and does use it', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const { model } = await scriptedSetup({
      override: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 15));
        inFlight -= 1;
        return undefined;
      },
    });
    await runBench({ items: benchTestItems, grid: { conditions: ['pass-at-k', 'sleep-time'], testBudgets: [{ verbosity: 0 }], sleepBudgets: [{ parallel: 5 }], passAtK: [5] }, model, ...paths(), concurrency: 3 });
    expect(maxInFlight).toBe(3);
  });
});

describe('runBench: the results file', () => {
  it('tolerates a torn last line: drops it and appends after it cleanly', async () => {
    const { model } = await scriptedSetup();
    const files = paths();
    const smallGrid: GridSpecInput = { conditions: ['test-time-only'], testBudgets: [{ verbosity: 0 }] };
    const first = await runBench({ items: benchTestItems.slice(0, 2), grid: smallGrid, model, ...files });
    expect(first.written).toBe(2);
    const text = await readFile(files.resultsPath, 'utf8');
    await writeFile(files.resultsPath, `${text}{"key":"half a ro`);
    const second = await runBench({ items: benchTestItems, grid: smallGrid, model, ...files });
    expect(second).toMatchObject({ written: 1, skipped: 2 });
    const lines = (await readFile(files.resultsPath, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    // Rows are in the order they finished; every line parses.
    expect(lines.slice(0, -1).map((line) => (JSON.parse(line) as BenchResultRow).itemId).sort()).toEqual(['apples-1', 'apples-2', 'pens-1']);
  });
});
