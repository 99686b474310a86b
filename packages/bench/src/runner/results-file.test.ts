import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SleeptimeError } from '@sleeptime/core';
import type { BenchResultRow } from '../bench-types.js';
import { openResultsAppender, prepareResultsFile, readResultsFile } from './results-file.js';

function row(key: string, extra: Partial<BenchResultRow> = {}): BenchResultRow {
  return {
    key,
    dataset: 'd',
    itemId: `item-${key}`,
    contextGroup: 'g',
    condition: 'test-time-only',
    testBudget: { verbosity: 0 },
    sleepBudget: null,
    seed: 0,
    model: 'm',
    expected: 1,
    final: 1,
    correct: true,
    testUsage: { inputTokens: 1, outputTokens: 2, reasoningTokens: 0 },
    sleepRunKey: null,
    sleepUsage: null,
    latencyMs: 5,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

const lines = (rows: BenchResultRow[]) => rows.map((entry) => `${JSON.stringify(entry)}\n`).join('');

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sleeptime-results-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readResultsFile', () => {
  it('reads no rows from a file that does not exist yet', async () => {
    expect(await readResultsFile(join(root, 'missing.jsonl'))).toEqual({ rows: [], tornLastLine: false });
  });

  it('drops a torn last line, with or without a newline after it', async () => {
    for (const tail of ['{"key":"c","data', '{"key":"c","data\n', '{"key":"c"}\n\n']) {
      const path = join(root, 'torn.jsonl');
      await writeFile(path, lines([row('a'), row('b')]) + tail);
      const contents = await readResultsFile(path);
      expect(contents.rows.map((entry) => entry.key)).toEqual(['a', 'b']);
      expect(contents.tornLastLine).toBe(true);
    }
  });

  it('keeps extra fields a newer writer added', async () => {
    const path = join(root, 'extra.jsonl');
    await writeFile(path, lines([{ ...row('a'), note: 'kept' } as BenchResultRow]));
    expect((await readResultsFile(path)).rows[0]).toMatchObject({ note: 'kept' });
  });

  it('refuses a bad line that is not the last, naming the file and line', async () => {
    const path = join(root, 'bad-middle.jsonl');
    await writeFile(path, `${lines([row('a')])}not json\n${lines([row('b')])}`);
    const error = await readResultsFile(path).catch((caught: unknown) => caught);
    expect(SleeptimeError.isInstance(error)).toBe(true);
    expect((error as SleeptimeError).code).toBe('results_malformed');
    expect((error as SleeptimeError).message).toContain(`${path}, line 2`);
  });
});

describe('prepareResultsFile', () => {
  it('rewrites the file without the torn line so appends start on a fresh line', async () => {
    const path = join(root, 'prepare-torn.jsonl');
    await writeFile(path, `${lines([row('a')])}{"key":"half`);
    expect((await prepareResultsFile(path)).map((entry) => entry.key)).toEqual(['a']);
    const appender = await openResultsAppender(path);
    await appender.append(row('b'));
    await appender.close();
    expect(await readFile(path, 'utf8')).toBe(lines([row('a'), row('b')]));
    expect((await readdir(root)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('drops failed rows that will be retried, and repeated keys, keeping a success over a failure', async () => {
    const path = join(root, 'prepare-failed.jsonl');
    const failed = (key: string) => row(key, { correct: false, final: null, error: { code: 'upstream_server_error', message: 'boom' } });
    await writeFile(path, lines([row('a'), failed('b'), failed('c'), row('a', { latencyMs: 99 }), failed('d'), row('d')]));
    const kept = await prepareResultsFile(path, { retryKeys: new Set(['b', 'd']) });
    expect(kept.map((entry) => [entry.key, entry.error === undefined])).toEqual([
      ['a', true],
      // Not in this grid: its failure stays, nothing would run it again.
      ['c', false],
      ['d', true],
    ]);
    expect((await readResultsFile(path)).rows).toEqual(kept);
  });

  it('leaves a clean file untouched', async () => {
    const path = join(root, 'clean.jsonl');
    const text = lines([row('a'), row('b')]);
    await writeFile(path, text);
    await prepareResultsFile(path, { retryKeys: new Set(['a']) });
    expect(await readFile(path, 'utf8')).toBe(text);
  });
});

describe('openResultsAppender', () => {
  it('appends whole lines in call order, creating the folder', async () => {
    const path = join(root, 'nested', 'appended.jsonl');
    const appender = await openResultsAppender(path);
    await Promise.all(['a', 'b', 'c'].map((key) => appender.append(row(key))));
    await appender.close();
    expect(await readFile(path, 'utf8')).toBe(lines([row('a'), row('b'), row('c')]));
    await expect(appender.append(row('d'))).rejects.toThrow(/closed/);
  });
});
