/**
 * Stateful AIME in the runner, as the paper's released runs do it: its sleep-time agent gets the
 * AIME instructions (part of a problem now, the rest later), a test-time budget without a verbosity
 * answers at verbosity 0, and a one-sentence problem (empty context) is answered without a sleep run,
 * its rows marked and counted. Against the scripted OpenAI-compatible server on 127.0.0.1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, sleepSystemPrompt, sleepSystemPromptFor, verbosityInstructions } from '@sleeptime/core';
import { startScriptedOpenAIServer, type ChatMessage, type ScriptedOpenAIServer } from '@sleeptime/core/testing';
import type { BenchItem, BenchResultRow } from '../bench-types.js';
import { expandGrid, type GridSpecInput } from './grid.js';
import { readResultsFile } from './results-file.js';
import { runBench, type RunBenchResult } from './run-bench.js';
import { benchTestItems, createBenchScript, type BenchRequestInfo, type BenchServerLogEntry } from './runner-test-support.js';

const aimeItems: BenchItem[] = [
  {
    id: 'aime-test-01',
    dataset: 'aime',
    contextGroup: 'aime-test-01',
    context: 'Let $x$ be a positive real number such that $x^2 = 49$.',
    query: 'Find $x$.',
    answer: 7,
    grader: 'aime',
  },
  {
    // One sentence: nothing is known before the question.
    id: 'aime-test-02',
    dataset: 'aime',
    contextGroup: 'aime-test-02',
    context: '',
    query: 'Find the number of positive divisors of $12$.',
    answer: 6,
    grader: 'aime',
  },
];
const gsmItem = benchTestItems.find((item) => item.id === 'pens-1') as BenchItem;
const items = [...aimeItems, gsmItem];

// A reasoning model's grid: effort only, as the paper's AIME runs.
const grid: GridSpecInput = {
  conditions: ['test-time-only', 'sleep-time'],
  testBudgets: { effort: ['low'] },
  sleepBudgets: { parallel: [1, 2] },
};

function answer(info: BenchRequestInfo): string {
  const item = items.find((candidate) => candidate.query === info.question);
  return item === undefined ? 'No idea.' : `So the answer is $\\boxed{${item.answer}}$. The answer is ${item.answer}.`;
}

function systemOf(entry: BenchServerLogEntry): string {
  const system = (entry.request.body.messages ?? []).find((message: ChatMessage) => message.role === 'system');
  return typeof system?.content === 'string' ? system.content : '';
}

describe('runBench on Stateful AIME items', () => {
  let root: string;
  let server: ScriptedOpenAIServer;
  let log: BenchServerLogEntry[];
  let result: RunBenchResult;
  let modelSpec: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sleeptime-run-bench-aime-'));
    const scripted = createBenchScript({ answer });
    log = scripted.log;
    server = await startScriptedOpenAIServer(scripted.script);
    const model = await createModel('openai-compatible:scripted', { baseUrl: server.baseUrl, env: {}, retry: { maxAttempts: 1 } });
    modelSpec = model.spec;
    result = await runBench({ items, grid, model, resultsPath: join(root, 'results.jsonl'), cacheDir: join(root, 'cache'), concurrency: 2 });
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  const rowsOf = (itemId: string, condition?: BenchResultRow['condition']) =>
    result.rows.filter((row) => row.itemId === itemId && (condition === undefined || row.condition === condition));

  it('sleeps on an AIME context with the AIME instructions, and on a GSM context with the default ones', () => {
    const sleeps = log.filter((entry) => entry.info.kind === 'sleep');
    const aimeSleeps = sleeps.filter((entry) => entry.info.context === aimeItems[0]?.context);
    const gsmSleeps = sleeps.filter((entry) => entry.info.context === gsmItem.context);
    // k = 1 and k = 2: three branches per context, each a rewrite then a finish.
    expect(aimeSleeps).toHaveLength(6);
    expect(gsmSleeps).toHaveLength(6);
    for (const entry of aimeSleeps) {
      expect(systemOf(entry)).toBe(sleepSystemPromptFor('aime', 'tools'));
      expect(systemOf(entry)).toMatch(/part of a competition math\s+problem \(AIME\) now; the rest of the problem, with its question, will be given to you later/);
    }
    for (const entry of gsmSleeps) expect(systemOf(entry)).toBe(sleepSystemPrompt);
  });

  it('answers AIME items at verbosity 0 when the budget sets only an effort, other items at the default 3', () => {
    const asks = log.filter((entry) => entry.info.kind === 'ask');
    const aimeAsks = asks.filter((entry) => aimeItems.some((item) => item.query === entry.info.question));
    const gsmAsks = asks.filter((entry) => entry.info.question === gsmItem.query);
    expect(aimeAsks.length).toBeGreaterThan(0);
    expect(gsmAsks.length).toBeGreaterThan(0);
    for (const entry of aimeAsks) {
      expect(entry.info.user.startsWith(`${verbosityInstructions[0]}\n\nQuestion: `)).toBe(true);
      // The engine's output limit for verbosity 0 (256) plus room for low effort (2,048).
      expect(entry.request.body.max_tokens).toBe(256 + 2048);
    }
    for (const entry of gsmAsks) {
      expect(entry.info.user.startsWith(`${verbosityInstructions[3]}\n\nQuestion: `)).toBe(true);
      expect(entry.request.body.max_tokens).toBe(2048 + 2048);
    }
    // Rows record the budget as the grid gave it.
    for (const row of result.rows) expect(row.testBudget).toEqual({ effort: 'low' });
  });

  it('answers a one-sentence problem without a sleep run, marks its rows and counts it', async () => {
    // No sleep request ever had an empty context.
    expect(log.filter((entry) => entry.info.kind === 'sleep' && (entry.info.context ?? '').trim() === '')).toEqual([]);
    const sleepRows = rowsOf('aime-test-02', 'sleep-time');
    expect(sleepRows.map((row) => row.sleepBudget?.parallel).sort()).toEqual([1, 2]);
    for (const row of sleepRows) {
      expect(row).toMatchObject({ sleepRunKey: null, sleepUsage: null, emptyContext: true, correct: true, final: 6 });
      expect(row.error).toBeUndefined();
    }
    // Its asks carried no learned context: the test-time-only prompt.
    const asks = log.filter((entry) => entry.info.kind === 'ask' && entry.info.question === aimeItems[1]?.query);
    expect(asks.length).toBeGreaterThan(0);
    for (const entry of asks) expect(entry.info.learned).toBeNull();
    expect(rowsOf('aime-test-02', 'test-time-only')).toEqual([expect.objectContaining({ emptyContext: true, correct: true })]);

    // The other items: sleep runs, no mark.
    for (const itemId of ['aime-test-01', 'pens-1']) {
      for (const row of rowsOf(itemId)) expect(row.emptyContext).toBeUndefined();
      for (const row of rowsOf(itemId, 'sleep-time')) expect(row.sleepRunKey).not.toBeNull();
    }
    expect(result.emptyContextItems).toBe(1);
    // The mark survives the results file.
    const { rows: fileRows } = await readResultsFile(join(root, 'results.jsonl'));
    expect(fileRows.filter((row) => row.emptyContext === true)).toHaveLength(3);
  });

  it('gives no cell of an empty-context item a sleep run, and counts none when the grid skips such items', async () => {
    const cells = expandGrid(items, grid, { model: modelSpec });
    expect(cells.filter((cell) => cell.item.id === 'aime-test-02' && cell.condition === 'sleep-time').map((cell) => cell.sleepRunKey)).toEqual([null, null]);
    expect(expandGrid(items, { ...grid, skipEmptyContexts: true }, { model: modelSpec }).some((cell) => cell.item.id === 'aime-test-02')).toBe(false);
  });
});
