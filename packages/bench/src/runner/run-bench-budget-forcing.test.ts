/**
 * Budget forcing as a test-time budget of the grid (issue 13 item 3): the axis expands into one
 * budget per forced thinking budget, every row records its budget, the model is asked with it (here
 * an OpenAI-compatible server with raw completions, the scripted one on 127.0.0.1), and the rows'
 * test-time tokens are the thinking and the answer the server counted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, type SleeptimeModel } from '@sleeptime/core';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';
import { testBudgetKey, testBudgetLabel } from '../analysis/budgets.js';
import type { BenchItem } from '../bench-types.js';
import { expandGrid, lowestTestBudget, parseGridSpec, type GridSpecInput } from './grid.js';
import { readResultsFile } from './results-file.js';
import { runBench } from './run-bench.js';
import { benchTestItems } from './runner-test-support.js';
import { sleeptimeErrorThrownBy } from '@sleeptime/core/testing';

const items: BenchItem[] = benchTestItems.slice(0, 2);

describe('the budget-forcing grid axis', () => {
  it('expands into one test-time budget per forced thinking budget, in every combination with the other axes', () => {
    const grid = parseGridSpec({ testBudgets: { verbosity: [0, 3], budgetForcing: { mode: 'extend', budgets: [256, 1024], waits: 2 } } });
    expect(grid.testBudgets).toEqual([
      { verbosity: 0, budgetForcing: { mode: 'extend', thinkingTokens: 256, waits: 2 } },
      { verbosity: 0, budgetForcing: { mode: 'extend', thinkingTokens: 1024, waits: 2 } },
      { verbosity: 3, budgetForcing: { mode: 'extend', thinkingTokens: 256, waits: 2 } },
      { verbosity: 3, budgetForcing: { mode: 'extend', thinkingTokens: 1024, waits: 2 } },
    ]);
    expect(parseGridSpec(grid)).toEqual(grid);
    expect(parseGridSpec({ testBudgets: { budgetForcing: { mode: 'cap', budgets: [64] } } }).testBudgets).toEqual([{ budgetForcing: { mode: 'cap', thinkingTokens: 64 } }]);
    // The list form takes a budget as written, extend's one wait filled in.
    expect(parseGridSpec({ testBudgets: [{ budgetForcing: { mode: 'extend', thinkingTokens: 64 } }] }).testBudgets).toEqual([
      { budgetForcing: { mode: 'extend', thinkingTokens: 64, waits: 1 } },
    ]);
  });

  it('gives each forced budget its own cells and keys, and pass@k runs at the smallest', () => {
    const grid: GridSpecInput = { conditions: ['test-time-only', 'pass-at-k'], passAtK: [2], testBudgets: { budgetForcing: { mode: 'cap', budgets: [512, 128] } } };
    const cells = expandGrid(items, grid, { model: 'm' });
    expect(cells.filter((cell) => cell.condition === 'test-time-only')).toHaveLength(2 * 2);
    expect(new Set(cells.map((cell) => cell.key)).size).toBe(cells.length);
    expect(cells.find((cell) => cell.condition === 'pass-at-k')?.testBudget).toEqual({ budgetForcing: { mode: 'cap', thinkingTokens: 128 } });
    expect(lowestTestBudget([{ budgetForcing: { mode: 'extend', thinkingTokens: 128, waits: 2 } }, { budgetForcing: { mode: 'cap', thinkingTokens: 128 } }])).toEqual({
      budgetForcing: { mode: 'cap', thinkingTokens: 128 },
    });
  });

  it('is a budget of its own to the analyses: its key and label name the mode, the budget and the waits', () => {
    const extend = { verbosity: 0 as const, budgetForcing: { mode: 'extend' as const, thinkingTokens: 512, waits: 2 } };
    const cap = { verbosity: 0 as const, budgetForcing: { mode: 'cap' as const, thinkingTokens: 512 } };
    expect(testBudgetKey(extend)).toBe('verbosity=0,forced=extend:512x2');
    expect(testBudgetKey(cap)).toBe('verbosity=0,forced=cap:512');
    expect(testBudgetLabel(extend)).toBe('verbosity 0, forced thinking 512, 2 waits');
    expect(testBudgetLabel(cap)).toBe('verbosity 0, forced thinking 512');
  });

  it.each([
    [{ testBudgets: [{ budgetForcing: { mode: 'cap', thinkingTokens: 64 }, thinkingBudget: 64 }] }, 'budgetForcing sets the thinking budget itself'],
    [{ testBudgets: { effort: ['low'], budgetForcing: { mode: 'cap', budgets: [64] } } }, 'budgetForcing sets the thinking budget itself'],
    [{ testBudgets: { budgetForcing: { mode: 'cap', budgets: [64], waits: 2 } } }, 'waits applies to mode extend only'],
    [{ testBudgets: { budgetForcing: { mode: 'extend', budgets: [] } } }, 'testBudgets'],
    [{ testBudgets: [{ budgetForcing: { mode: 'stretch', thinkingTokens: 64 } }] }, 'testBudgets'],
  ])('rejects %j: %s', (input, problem) => {
    const error = sleeptimeErrorThrownBy(() => parseGridSpec(input));
    expect(error).toMatchObject({ code: 'invalid_grid', category: 'user' });
    expect(error.message).toContain(problem);
  });
});

describe('runBench with a budget-forcing axis, over raw completions', () => {
  let root: string;
  let server: ScriptedOpenAIServer;
  let model: SleeptimeModel;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sleeptime-bench-forcing-'));
    // Thinking requests (stop at </think>) think until their max_tokens; answer requests answer from the item.
    server = await startScriptedOpenAIServer((request: RecordedRequest): ScriptedReply => {
      const prompt = String(request.body.prompt ?? '');
      if (JSON.stringify(request.body.stop).includes('</think>')) {
        const maxTokens = Number(request.body.max_tokens);
        return { text: 'Let me add. ', finishReason: 'length', usage: { prompt_tokens: 50, completion_tokens: maxTokens } };
      }
      const answer = items.find((item) => prompt.includes(item.query))?.answer ?? -1;
      return { text: `The answer is ${answer}.`, usage: { prompt_tokens: 60, completion_tokens: 5 } };
    });
    model = await createModel('openai-compatible:reasoner', { baseUrl: server.baseUrl, env: {}, completionsTemplate: 'chatml' });
  });

  afterAll(async () => {
    await model?.close();
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('writes a row per item and forced budget, recording the budget and the thinking and answer tokens', async () => {
    const resultsPath = join(root, 'results.jsonl');
    const result = await runBench({
      items,
      grid: { conditions: ['test-time-only'], testBudgets: { verbosity: [0], budgetForcing: { mode: 'cap', budgets: [32, 128] } } },
      model,
      resultsPath,
      cacheDir: join(root, 'cache'),
      concurrency: 1,
    });
    expect(result.rows).toHaveLength(2 * 2);
    for (const row of result.rows) {
      const thinkingTokens = row.testBudget.budgetForcing?.thinkingTokens;
      expect([32, 128]).toContain(thinkingTokens);
      expect(row.testBudget).toEqual({ verbosity: 0, budgetForcing: { mode: 'cap', thinkingTokens } });
      expect(row.correct).toBe(true);
      expect(row.testUsage).toEqual({ inputTokens: 50 + 60, outputTokens: (thinkingTokens ?? 0) + 5, reasoningTokens: thinkingTokens });
    }
    // Read back for the report, the budget is still there.
    const { rows: written } = await readResultsFile(resultsPath);
    expect(new Set(written.map((row) => testBudgetKey(row.testBudget)))).toEqual(new Set(['verbosity=0,forced=cap:32', 'verbosity=0,forced=cap:128']));

    // The server was asked in the model's template, thinking stopped at </think>, then closed and answered.
    const thinking = server.requests.filter((request) => JSON.stringify(request.body.stop).includes('</think>'));
    expect(thinking.map((request) => request.body.max_tokens).sort((a, b) => Number(a) - Number(b))).toEqual([32, 32, 128, 128]);
    expect(thinking.every((request) => String(request.body.prompt).endsWith('<|im_start|>assistant\n<think>\n'))).toBe(true);
    const answers = server.requests.filter((request) => !JSON.stringify(request.body.stop).includes('</think>'));
    expect(answers).toHaveLength(4);
    expect(answers.every((request) => request.path === '/v1/completions' && String(request.body.prompt).endsWith('Let me add. </think>'))).toBe(true);
  });
});
