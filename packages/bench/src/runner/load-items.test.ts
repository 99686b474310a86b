import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAimeFacts, writeDatasetFixtures } from '../datasets/dataset-fixtures-test-support.js';
import { describeWithDatasets } from '../datasets/datasets-test-support.js';
import { detectBenchFileFormat, loadAimeItems, loadBenchItems, loadGsmSymbolicItems, loadMultiQueryItems } from './load-items.js';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sleeptime-load-items-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function jsonlFile(name: string, rows: unknown[], raw = ''): Promise<string> {
  const path = join(root, name);
  await writeFile(path, rows.map((row) => `${JSON.stringify(row)}\n`).join('') + raw);
  return path;
}


const gsmRow = (id: string, template = 'p2/0003') => ({
  id,
  template,
  question: 'Ann has 3 apples. Bob gives her 2. How many apples does Ann have?',
  answer: 5,
  bindings: { a: 3, b: 2, name: 'Ann' },
  labels: {},
  context: 'Ann has 3 apples. Bob gives her 2.',
  query: 'How many apples does Ann have?',
});

describe('loadGsmSymbolicItems', () => {
  it('makes one item and one context group per instance, the dataset named after the variant', async () => {
    const path = await jsonlFile('gsm.jsonl', [gsmRow('p2/0003/seed-7/0'), gsmRow('p1/0001/seed-7/0', 'p1/0001')]);
    expect(await loadGsmSymbolicItems(path)).toEqual([
      { id: 'p2/0003/seed-7/0', dataset: 'gsm-symbolic-p2', contextGroup: 'p2/0003/seed-7/0', context: 'Ann has 3 apples. Bob gives her 2.', query: 'How many apples does Ann have?', answer: 5, grader: 'gsm' },
      { id: 'p1/0001/seed-7/0', dataset: 'gsm-symbolic-p1', contextGroup: 'p1/0001/seed-7/0', context: 'Ann has 3 apples. Bob gives her 2.', query: 'How many apples does Ann have?', answer: 5, grader: 'gsm' },
    ]);
    expect(await detectBenchFileFormat(path)).toBe('gsm-symbolic');
  });

  it('names the file and line of a malformed row', async () => {
    const path = await jsonlFile('gsm-bad.jsonl', [gsmRow('a'), { ...gsmRow('b'), answer: 'five' }]);
    const error = await sleeptimeErrorOf(loadGsmSymbolicItems(path));
    expect(error.code).toBe('jsonl_malformed');
    expect(error.message).toContain(`${path}, line 2`);
    expect(error.message).toContain('answer');
  });

  it('names the line of a repeated id', async () => {
    const path = await jsonlFile('gsm-repeat.jsonl', [gsmRow('a'), gsmRow('b'), gsmRow('a')]);
    const error = await sleeptimeErrorOf(loadGsmSymbolicItems(path));
    expect(error.message).toContain(`${path}, line 3`);
    expect(error.message).toContain('line 1');
  });
});

describe('loadMultiQueryItems', () => {
  const rows = [
    // The shape src/bench/datasets/multi-query writes (its extra fields are ignored).
    { id: 'p1/0005/seed-1/0/q0', contextId: 'p1/0005/seed-1/0', template: 'p1/0005', context: 'A box holds 12 pens.', query: 'How many pens in 3 boxes?', answer: 36, expression: null, modelAnswer: null, modelSolution: null, original: true },
    { contextId: 'p1/0005/seed-1/0', id: 'p1/0005/seed-1/0/q1', context: 'A box holds 12 pens.', query: 'How many pens in half a box?', answer: '#### 6', template: 'p1/0005' },
    { contextId: 'p1/0009/seed-1/0', id: 'p1/0009/seed-1/0/q0', context: 'Tom runs 5 km a day.', query: 'How far in a week?', answer: '35', template: 'p1/0009' },
  ];

  it('groups queries by their shared context and reads #### answers', async () => {
    const path = await jsonlFile('multi.jsonl', rows);
    const items = await loadMultiQueryItems(path);
    expect(items.map((item) => [item.id, item.dataset, item.contextGroup, item.answer])).toEqual([
      ['p1/0005/seed-1/0/q0', 'multi-query-p1', 'p1/0005/seed-1/0', 36],
      ['p1/0005/seed-1/0/q1', 'multi-query-p1', 'p1/0005/seed-1/0', 6],
      ['p1/0009/seed-1/0/q0', 'multi-query-p1', 'p1/0009/seed-1/0', 35],
    ]);
    expect((await loadBenchItems(path)).map((item) => item.contextGroup)).toEqual(items.map((item) => item.contextGroup));
  });

  it('refuses two texts for one context id, and a non-numeric answer', async () => {
    const conflicting = await jsonlFile('multi-conflict.jsonl', [rows[0], { ...rows[1], context: 'A box holds 10 pens.' }]);
    expect((await sleeptimeErrorOf(loadMultiQueryItems(conflicting))).message).toContain(`${conflicting}, line 2`);
    const nonNumeric = await jsonlFile('multi-answer.jsonl', [{ ...rows[0], answer: 'many' }]);
    const error = await sleeptimeErrorOf(loadMultiQueryItems(nonNumeric));
    expect(error.message).toContain(`${nonNumeric}, line 1`);
    expect(error.message).toContain('not a number');
  });
});

describeWithDatasets('AIME items from the real data', (datasetsDir) => {
  it('loads the 60 problems with the aime grader, one-sentence problems kept', async () => {
    const items = await loadAimeItems({ datasetsDir });
    expect(items).toHaveLength(60);
    expect(items.every((item) => item.dataset === 'aime' && item.grader === 'aime' && item.contextGroup === item.id && Number.isInteger(item.answer))).toBe(true);
    expect(items.filter((item) => item.context.trim() === '').length).toBeGreaterThan(0);
  });
});

describe('AIME items', () => {
  it('loads the problems folder with the aime grader, one-sentence problems kept', async () => {
    const datasetsDir = await writeDatasetFixtures(join(root, 'fixtures'));
    const items = await loadAimeItems({ datasetsDir });
    expect(items.map((item) => item.id)).toEqual(fixtureAimeFacts.ids);
    expect(items.every((item) => item.dataset === 'aime' && item.grader === 'aime' && item.contextGroup === item.id && Number.isInteger(item.answer))).toBe(true);
    expect(items.filter((item) => item.context.trim() === '').map((item) => item.id)).toEqual(fixtureAimeFacts.emptyContext);
  });

  it('reads the AIME JSONL format too', async () => {
    const path = await jsonlFile('aime.jsonl', [{ id: 'aime-2024-I-01', year: 2024, exam: 'I', number: 1, context: 'Every morning Aya walks.', query: 'Find the time.', answer: 204 }]);
    expect(await detectBenchFileFormat(path)).toBe('aime');
    expect(await loadBenchItems(path)).toEqual([
      { id: 'aime-2024-I-01', dataset: 'aime', contextGroup: 'aime-2024-I-01', context: 'Every morning Aya walks.', query: 'Find the time.', answer: 204, grader: 'aime' },
    ]);
  });

  it('refuses a file of no known format', async () => {
    const path = await jsonlFile('unknown.jsonl', [{ question: 'x' }]);
    expect((await sleeptimeErrorOf(loadBenchItems(path))).message).toContain(`${path}, line 1`);
  });
});
