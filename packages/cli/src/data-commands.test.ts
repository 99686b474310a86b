import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startScriptedOpenAIServer } from '@sleeptime/core/testing';
import { fixtureAimeFacts, writeDatasetFixtures } from '../../bench/src/datasets/dataset-fixtures-test-support.js';
import { describeWithDatasets } from '../../bench/src/datasets/datasets-test-support.js';
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

let fixturesDir: string;
beforeAll(async () => {
  // Small datasets in the real formats (see dataset-fixtures-test-support.ts): no shared folder needed.
  fixturesDir = await writeDatasetFixtures();
});
afterAll(async () => {
  await rm(fixturesDir, { recursive: true, force: true });
});

/** Writes GSM-Symbolic instances three times (seeds 3, 3, 4) and checks them; returns the rows of the first. */
async function expectGsmSymbolicRuns(datasetsDir: string, templates: number): Promise<Record<string, unknown>[]> {
  const directory = await temporaryDirectory('data-gsm');
  const first = path.join(directory, 'first.jsonl');
  const second = path.join(directory, 'second.jsonl');
  const other = path.join(directory, 'other.jsonl');
  const base = ['data', 'gsm-symbolic', '--variant', 'p2', '--per-template', '2', '--datasets-dir', datasetsDir];
  expect((await runInProcess([...base, '--seed', '3', '--out', first])).exitCode).toBe(0);
  expect((await runInProcess([...base, '--seed', '3', '--out', second])).exitCode).toBe(0);
  expect((await runInProcess([...base, '--seed', '4', '--out', other])).exitCode).toBe(0);

  const rows = await readRows(first);
  expect(rows).toHaveLength(2 * templates);
  expect(new Set(rows.map((row) => row.template)).size).toBe(templates);
  for (const row of rows) {
    expect(row.template).toMatch(/^p2\/\d{4}$/);
    expect(typeof row.question).toBe('string');
    expect(typeof row.answer).toBe('number');
    expect(typeof row.bindings).toBe('object');
    expect(`${row.context as string} ${row.query as string}`.replace(/\s+/g, ' ').trim()).toBe((row.question as string).replace(/\s+/g, ' ').trim());
  }
  expect(await readFile(second, 'utf8')).toBe(await readFile(first, 'utf8'));
  expect(await readFile(other, 'utf8')).not.toBe(await readFile(first, 'utf8'));
  return rows;
}

/** Writes the AIME problems and checks their fields; returns the rows. */
async function expectAimeRun(datasetsDir: string, problems: number): Promise<Record<string, unknown>[]> {
  const out = path.join(await temporaryDirectory('data-aime'), 'aime.jsonl');
  const run = await runInProcess(['data', 'aime', '--out', out, '--datasets-dir', datasetsDir]);
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toMatch(new RegExp(`^Wrote ${problems} problems \\(\\d+ with figures\\) to `));
  const rows = await readRows(out);
  expect(rows).toHaveLength(problems);
  for (const row of rows) {
    expect(Object.keys(row)).toEqual(expect.arrayContaining(['id', 'year', 'exam', 'number', 'context', 'query', 'answer']));
    expect(Number.isInteger(row.answer)).toBe(true);
  }
  return rows;
}

describeWithDatasets('sleeptime data on the real datasets', (datasetsDir) => {
  it('gsm-symbolic writes fresh instances of the 50 P2 templates with the documented fields, the same for the same seed', async () => {
    await expectGsmSymbolicRuns(datasetsDir, 50);
  });

  it('aime writes the 60 problems with year, exam, number, context, query and answer', async () => {
    await expectAimeRun(datasetsDir, 60);
  });
});

describe('sleeptime data', () => {
  it('gsm-symbolic writes fresh instances with the documented fields, the same for the same seed', async () => {
    const rows = await expectGsmSymbolicRuns(fixturesDir, 2);
    expect(rows.map((row) => row.template)).toEqual(['p2/0000', 'p2/0000', 'p2/0001', 'p2/0001']);
  });

  it('gsm-symbolic reads the folder of SLEEPTIME_DATASETS_DIR when no --datasets-dir is given', async () => {
    vi.stubEnv('SLEEPTIME_DATASETS_DIR', fixturesDir);
    try {
      const out = path.join(await temporaryDirectory('data-gsm-env'), 'symbolic.jsonl');
      const run = await runInProcess(['data', 'gsm-symbolic', '--variant', 'symbolic', '--out', out, '--json']);
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toMatchObject({ instances: 3, templates: 3, variant: 'symbolic' });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('aime writes the problems with year, exam, number, context, query and answer', async () => {
    const rows = await expectAimeRun(fixturesDir, fixtureAimeFacts.ids.length);
    expect(rows.map((row) => row.id)).toEqual(fixtureAimeFacts.ids);
  });

  it('rejects a bad variant with one line and writes nothing', async () => {
    const out = path.join(await temporaryDirectory('data-bad'), 'never.jsonl');
    const run = await runInProcess(['data', 'gsm-symbolic', '--variant', 'p3', '--out', out]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/--variant/);
    await expect(readFile(out, 'utf8')).rejects.toThrow();
  });

  it('says in one line where it looked when a datasets folder holds no templates', async () => {
    const empty = await temporaryDirectory('data-empty');
    const out = path.join(empty, 'never.jsonl');
    const run = await runInProcess(['data', 'gsm-symbolic', '--datasets-dir', empty, '--out', out]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe(
      `sleeptime: No GSM-Symbolic templates at ${path.join(empty, 'gsm-symbolic', 'templates', 'p1')}. Pass the folder holding gsm-symbolic/templates ` +
        '(datasetsDir, --datasets-dir or SLEEPTIME_DATASETS_DIR), or download the pinned templates into the cache (`sleeptime data gsm-symbolic` does, or prepareDatasets). [gsm_symbolic_templates_not_found]\n',
    );
  });
});

describe('sleeptime data multi-query', () => {
  it('keeps verified questions, rejects the rest, and resumes without model calls', async () => {
    const directory = await temporaryDirectory('data-multi-query');
    const instancesPath = path.join(directory, 'p1.jsonl');
    const generate = ['data', 'gsm-symbolic', '--variant', 'p1', '--template', '0000', '--seed', '1', '--datasets-dir', fixturesDir, '--out', instancesPath];
    expect((await runInProcess(generate)).exitCode).toBe(0);
    const [instance] = (await readRows(instancesPath)) as { id: string; context: string; bindings: Record<string, unknown> }[];
    // A binding whose value the context states: a question about it can be checked by its name alone.
    const [name, value] = Object.entries(instance?.bindings ?? {}).find(
      ([, bound]) => typeof bound === 'number' && Number.isInteger(bound) && instance?.context.includes(String(bound)),
    ) as [string, number];

    const server = await startScriptedOpenAIServer(() => ({
      text: JSON.stringify({
        questions: [
          { question: `What is the value of ${name} in the story?`, solution: `It is stated. #### ${value}`, expression: name },
          { question: `What is twice ${name}?`, solution: `#### ${value * 2 + 1}`, expression: `${name} * 2` },
        ],
      }),
      usage: { prompt_tokens: 300, completion_tokens: 80 },
    }));
    try {
      const out = path.join(directory, 'multi-query.jsonl');
      const args = ['data', 'multi-query', '--from', instancesPath, '--out', out, '--per-context', '2', '--json'];
      const model = ['--model', 'openai-compatible:scripted', '--base-url', server.baseUrl];
      const first = await runInProcess([...args, ...model]);
      expect(first.stderr).toBe('');
      expect(JSON.parse(first.stdout)).toMatchObject({ contexts: 1, rows: 2, kept: 1, rejected: 1, rejectedByReason: { answers_disagree: 1 } });
      const rows = await readRows(out);
      expect(rows.map((row) => [row.original, row.answer])).toEqual([
        [true, expect.any(Number)],
        [false, value],
      ]);
      const requests = server.requests.length;
      const again = await runInProcess([...args, ...model]);
      expect(JSON.parse(again.stdout)).toMatchObject({ rows: 2, kept: 1 });
      expect(server.requests.length).toBe(requests);
    } finally {
      await server.close();
    }
  });
});
