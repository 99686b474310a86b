import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDirectory } from './cli-test-support.js';
import { main } from './main.js';

async function runInProcess(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await main(['node', 'sleeptime', ...args], { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { exitCode, stdout, stderr };
}

async function readRows(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('sleeptime data', () => {
  it('gsm-symbolic writes fresh instances with the documented fields, the same for the same seed', async () => {
    const directory = await temporaryDirectory('data-gsm');
    const first = path.join(directory, 'first.jsonl');
    const second = path.join(directory, 'second.jsonl');
    const other = path.join(directory, 'other.jsonl');
    const base = ['data', 'gsm-symbolic', '--variant', 'p2', '--per-template', '2'];
    expect((await runInProcess([...base, '--seed', '3', '--out', first])).exitCode).toBe(0);
    expect((await runInProcess([...base, '--seed', '3', '--out', second])).exitCode).toBe(0);
    expect((await runInProcess([...base, '--seed', '4', '--out', other])).exitCode).toBe(0);

    const rows = await readRows(first);
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((row) => row.template)).size).toBe(50);
    for (const row of rows) {
      expect(row.template).toMatch(/^p2\/\d{4}$/);
      expect(typeof row.question).toBe('string');
      expect(typeof row.answer).toBe('number');
      expect(typeof row.bindings).toBe('object');
      expect(`${row.context as string} ${row.query as string}`.replace(/\s+/g, ' ').trim()).toBe((row.question as string).replace(/\s+/g, ' ').trim());
    }
    expect(await readFile(second, 'utf8')).toBe(await readFile(first, 'utf8'));
    expect(await readFile(other, 'utf8')).not.toBe(await readFile(first, 'utf8'));
  });

  it('aime writes the 60 problems with year, exam, number, context, query and answer', async () => {
    const out = path.join(await temporaryDirectory('data-aime'), 'aime.jsonl');
    const run = await runInProcess(['data', 'aime', '--out', out]);
    expect(run.exitCode).toBe(0);
    const rows = await readRows(out);
    expect(rows).toHaveLength(60);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['id', 'year', 'exam', 'number', 'context', 'query', 'answer']));
      expect(Number.isInteger(row.answer)).toBe(true);
    }
  });

  it('rejects a bad variant with one line and writes nothing', async () => {
    const out = path.join(await temporaryDirectory('data-bad'), 'never.jsonl');
    const run = await runInProcess(['data', 'gsm-symbolic', '--variant', 'p3', '--out', out]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/--variant/);
    await expect(readFile(out, 'utf8')).rejects.toThrow();
  });
});
