/**
 * The two context-only ablations and the memory size limit, end to end against the scripted
 * OpenAI-compatible server on 127.0.0.1:
 *
 * - `context-only` (the paper's description): the raw context alone, the model told the question was
 *   withheld, no sleep run;
 * - `sleep-time-no-question` (the released code's --ablate_question): the sleep-time ask with its
 *   question left out, on the same sleep run as the sleep-time cells;
 * - both leave out an item whose context is empty, and count what they left out;
 * - `maxMemoryCharacters`: the sleep-time agents are told the limit, a longer memory is refused and
 *   rewritten, and the rows that read such a sleep run record the limit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, verbosityInstructions } from '@sleeptime/core';
import { startScriptedOpenAIServer, type ChatMessage, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedOpenAIServerScript } from '@sleeptime/core/testing';
import type { BenchItem, BenchResultRow } from '../bench-types.js';
import { contextOnlySystemPrompt } from './bench-prompts.js';
import type { GridSpecInput } from './grid.js';
import { readResultsFile } from './results-file.js';
import { runBench, type RunBenchResult } from './run-bench.js';
import { benchTestItems, createBenchScript, describeBenchRequest, standardBenchAnswer, type BenchRequestInfo, type BenchServerLogEntry } from './runner-test-support.js';

const emptyItem: BenchItem = {
  id: 'one-sentence',
  dataset: 'aime',
  contextGroup: 'one-sentence',
  context: '',
  query: 'Find the number of positive divisors of $12$.',
  answer: 6,
  grader: 'aime',
};
const items = [...benchTestItems, emptyItem];

const grid: GridSpecInput = {
  conditions: ['sleep-time', 'context-only', 'sleep-time-no-question'],
  testBudgets: [{ verbosity: 0 }],
  sleepBudgets: [{ parallel: 1 }],
};
const limit = 120;

/** What the sleep-time agent writes first: longer than the limit. Then, once told, the short one. */
const longMemory = (context: string) => `Notes: ${context} ${'Likely question: the total; answer it from the counts above. '.repeat(3)}`;
const shortMemory = (context: string) => `Notes: ${context}`;

function messageText(message: ChatMessage | undefined): string {
  return typeof message?.content === 'string' ? message.content : '';
}

/**
 * The standard answers, except the question-withheld asks, which guess from the learned context: the
 * apples total (8) and 12 pens. Sleep requests write the long memory, then the short one after a
 * refusal, then finish.
 */
function ablationScript(): { script: ScriptedOpenAIServerScript; log: BenchServerLogEntry[]; sleeps: RecordedRequest[] } {
  const answer = (info: BenchRequestInfo) => {
    if (info.kind === 'ask' && info.question === null) return info.context?.includes('apples') === true ? 'The answer is 8.' : 'The answer is 12.';
    if (info.question === emptyItem.query) return 'The answer is 6.';
    return standardBenchAnswer(info);
  };
  const bench = createBenchScript({ answer });
  const forward = bench.script;
  if (typeof forward !== 'function') throw new Error('createBenchScript gives a script function');
  const sleeps: RecordedRequest[] = [];
  const script: ScriptedOpenAIServerScript = async (request, index) => {
    const info = describeBenchRequest(request);
    if (info.kind !== 'sleep') return forward(request, index);
    sleeps.push(request);
    const usage = { prompt_tokens: 100, completion_tokens: 20 };
    const toolResults = (request.body.messages ?? []).filter((message) => message.role === 'tool');
    const context = info.context ?? '';
    const id = `call_${sleeps.length}`;
    if (toolResults.length === 0) return { toolCalls: [{ id, name: 'rethink_memory', arguments: { new_memory: longMemory(context) } }], usage };
    if (messageText(toolResults.at(-1)).includes('Not applied')) return { toolCalls: [{ id, name: 'rethink_memory', arguments: { new_memory: shortMemory(context) } }], usage };
    return { toolCalls: [{ id, name: 'finish_rethinking', arguments: {} }], usage };
  };
  return { script, log: bench.log, sleeps };
}

function userOf(request: RecordedRequest): string {
  return messageText((request.body.messages ?? []).find((message) => message.role === 'user'));
}

describe('the ablations and the memory limit in runBench', () => {
  let root: string;
  let server: ScriptedOpenAIServer;
  let log: BenchServerLogEntry[];
  let sleeps: RecordedRequest[];
  let capped: RunBenchResult;
  let uncapped: RunBenchResult;
  let sleepsWhenCapped: RecordedRequest[];
  let logWhenCapped: BenchServerLogEntry[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sleeptime-run-bench-ablations-'));
    const scripted = ablationScript();
    ({ log, sleeps } = scripted);
    server = await startScriptedOpenAIServer(scripted.script);
    const model = await createModel('openai-compatible:scripted', { baseUrl: server.baseUrl, env: {}, retry: { maxAttempts: 1 } });
    const files = { resultsPath: join(root, 'results.jsonl'), cacheDir: join(root, 'cache') };
    capped = await runBench({ items, grid: { ...grid, maxMemoryCharacters: limit }, model, ...files, concurrency: 2 });
    sleepsWhenCapped = [...sleeps];
    logWhenCapped = [...log];
    // The same results file without the limit: only the rows that read a sleep run are new.
    uncapped = await runBench({ items, grid, model, ...files, concurrency: 2 });
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  const rowsOf = (result: RunBenchResult, condition: BenchResultRow['condition']) => result.rows.filter((row) => row.condition === condition);

  it('runs the released ablation on the sleep-time cells\' own sleep runs, with the question left out and nothing else changed', () => {
    const withheld = rowsOf(capped, 'sleep-time-no-question');
    expect(withheld.map((row) => row.itemId).sort()).toEqual(['apples-1', 'apples-2', 'pens-1']);
    for (const row of withheld) {
      const sleepTime = rowsOf(capped, 'sleep-time').find((other) => other.itemId === row.itemId);
      expect(row.sleepRunKey).not.toBeNull();
      expect(row.sleepRunKey).toBe(sleepTime?.sleepRunKey);
      expect(row.sleepUsage).toEqual(sleepTime?.sleepUsage);
      expect(row.sleepBudget).toEqual({ parallel: 1 });
      expect(row.testBudget).toEqual({ verbosity: 0 });
    }
    // One sleep run per context group (apples, pens), each three calls: the long memory, the short one, finish.
    expect(sleepsWhenCapped).toHaveLength(6);

    const asks = logWhenCapped.filter((entry) => entry.info.kind === 'ask');
    const withQuestion = asks.filter((entry) => entry.info.question !== null && entry.info.learned !== null);
    const withoutQuestion = asks.filter((entry) => entry.info.question === null);
    // Both apples queries send the same question-less prompt: the call cache answers the second.
    expect(withoutQuestion.map((entry) => entry.info.context).sort()).toEqual(['A box holds 12 pens.', 'Ann has 3 apples. Bob has 5 apples.']);
    for (const entry of withoutQuestion) {
      expect(entry.info.user).toBe(verbosityInstructions[0]);
      expect(entry.info.learned).toBe(shortMemory(entry.info.context ?? ''));
      // The very system message of the sleep-time ask on that context: only the question differs.
      const twin = withQuestion.find((other) => other.info.context === entry.info.context);
      expect(twin).toBeDefined();
      expect(entry.request.body.messages?.[0]).toEqual(twin?.request.body.messages?.[0]);
      expect(userOf(twin?.request as RecordedRequest)).toBe(`${verbosityInstructions[0]}\n\nQuestion: ${twin?.info.question ?? ''}`);
    }
    // Graded against each item's real answer.
    expect(Object.fromEntries(withheld.map((row) => [row.itemId, [row.final, row.correct]]))).toEqual({ 'apples-1': [8, true], 'apples-2': [8, false], 'pens-1': [12, false] });
  });

  it('keeps the context-only ablation as it was: the raw context, the question withheld and said to be, no sleep run', () => {
    const contextOnly = rowsOf(capped, 'context-only');
    expect(contextOnly.map((row) => row.itemId).sort()).toEqual(['apples-1', 'apples-2', 'pens-1']);
    for (const row of contextOnly) expect(row).toMatchObject({ sleepBudget: null, sleepRunKey: null, sleepUsage: null });
    expect(contextOnly.some((row) => 'maxMemoryCharacters' in row)).toBe(false);
    const prompts = logWhenCapped.filter((entry) => entry.info.kind === 'context-only');
    expect(prompts.length).toBeGreaterThan(0);
    for (const entry of prompts) {
      expect(entry.request.body.messages?.[0]).toEqual({ role: 'system', content: contextOnlySystemPrompt });
      expect(entry.info.learned).toBeNull();
    }
  });

  it('leaves both ablations out on an item with an empty context, and counts the cells it left out', () => {
    const empty = capped.rows.filter((row) => row.itemId === emptyItem.id);
    // Its sleep-time cell is answered as test-time only; the ablations have nothing to answer from.
    expect(empty).toEqual([expect.objectContaining({ condition: 'sleep-time', sleepRunKey: null, emptyContext: true, correct: true })]);
    expect(capped.skippedAblationCells).toBe(2);
    expect(capped.emptyContextItems).toBe(1);
    expect(log.filter((entry) => entry.info.kind !== 'sleep' && entry.info.question === null && (entry.info.context ?? '') === '')).toEqual([]);
  });

  it('tells the sleep-time agent the memory limit, refuses the longer memory, and records the limit on the rows that read the run', async () => {
    for (const request of sleepsWhenCapped) expect(userOf(request)).toContain(`Your memory block is empty and holds at most ${limit} characters.`);
    const refusals = sleepsWhenCapped.flatMap((request) => (request.body.messages ?? []).filter((message) => message.role === 'tool').slice(0, 1).map(messageText));
    for (const refusal of refusals) expect(refusal).toMatch(new RegExp(`Not applied: the memory has \\d+ characters, more than the memory block's limit of ${limit}`));
    expect(refusals.length).toBeGreaterThan(0);

    const readers = capped.rows.filter((row) => row.sleepRunKey !== null);
    expect(readers).toHaveLength(6);
    for (const row of readers) expect(row.maxMemoryCharacters).toBe(limit);
    for (const row of capped.rows.filter((one) => one.sleepRunKey === null)) expect(row.maxMemoryCharacters).toBeUndefined();
    // The results file keeps the new condition and the limit.
    const { rows: fileRows } = await readResultsFile(join(root, 'results.jsonl'));
    const reread = fileRows.find((row) => row.key === readers[0]?.key);
    expect(reread).toMatchObject({ maxMemoryCharacters: limit });
    expect(fileRows.filter((row) => row.condition === 'sleep-time-no-question').length).toBeGreaterThanOrEqual(3);
  });

  it('makes new rows for the cells that read a sleep run when the limit changes, and reuses the others', () => {
    // Context-only (3) and the empty item's sleep-time cell read no sleep run: their rows are reused.
    expect(uncapped.skipped).toBe(4);
    expect(uncapped.written).toBe(6);
    const newSleeps = sleeps.slice(sleepsWhenCapped.length);
    // Without a limit: no word of one, and the first (long) memory is kept.
    expect(newSleeps).toHaveLength(4);
    for (const request of newSleeps) expect(userOf(request)).toContain('Your memory block is empty. You may rewrite it');
    for (const row of uncapped.rows) expect(row.maxMemoryCharacters).toBeUndefined();
    const learned = log.slice(logWhenCapped.length).filter((entry) => entry.info.kind === 'ask' && entry.info.learned !== null).map((entry) => entry.info.learned ?? '');
    expect(learned.length).toBeGreaterThan(0);
    for (const text of learned) expect(text.length).toBeGreaterThan(limit);
  });
});
