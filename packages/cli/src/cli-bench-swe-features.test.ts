/**
 * The README's SWE-Features commands end to end, in process: `sleeptime data swe-features` on a
 * repository the test builds, `sleeptime bench` with a step grid against a scripted
 * OpenAI-compatible server (the sleep-time agent explores and writes notes; the coding agent
 * rewrites src/index.ts and says it is done), a resumed run, a moved repository found with
 * `--repo`, flags that do not apply, and `sleeptime report` with figure (f).
 */
import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';
import { buildMergedRepository, type MergedRepository } from '../../bench/src/datasets/swe-features/swe-features-test-support.js';
import { temporaryDirectory } from './cli-test-support.js';
import { main } from './main.js';

async function runInProcess(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await main(['node', 'sleeptime', ...args], { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { exitCode, stdout, stderr };
}

function scripted(request: RecordedRequest): ScriptedReply {
  const tools = (request.body.tools ?? []).map((tool) => tool.function.name);
  const messages = request.body.messages ?? [];
  const assistantTurns = messages.filter((message) => message.role === 'assistant').length;
  const usage = { prompt_tokens: 300, completion_tokens: 12 };
  if (tools.includes('rethink_memory')) {
    const calls = [
      { name: 'search', arguments: { pattern: 'export' } },
      { name: 'rethink_memory', arguments: { new_memory: 'Formats live in src/export/; each is re-exported from src/index.ts and wired into src/cli.ts.' } },
      { name: 'finish_rethinking', arguments: {} },
    ];
    return { toolCalls: [calls[Math.min(assistantTurns, 2)] as (typeof calls)[number]], usage };
  }
  const calls = [
    { name: 'write_file', arguments: { path: 'src/index.ts', content: 'export {};\n' } },
    { name: 'done', arguments: {} },
  ];
  return { toolCalls: [calls[Math.min(assistantTurns, 1)] as (typeof calls)[number]], usage };
}

let merged: MergedRepository;
let folder: string;
let server: ScriptedOpenAIServer;

beforeAll(async () => {
  [merged, folder, server] = await Promise.all([buildMergedRepository(), temporaryDirectory('bench-swe'), startScriptedOpenAIServer(scripted)]);
});

afterAll(async () => {
  await Promise.all([merged.repository.remove(), rm(folder, { recursive: true, force: true }), server.close()]);
});

describe('sleeptime bench and report on SWE-Features items', () => {
  it('builds items, runs the step grid with and without notes, resumes, and reports figure (f)', async () => {
    const items = path.join(folder, 'items.jsonl');
    expect((await runInProcess(['data', 'swe-features', '--repo', merged.repository.dir, '-o', items, '--json'])).exitCode).toBe(0);
    const results = path.join(folder, 'results.jsonl');
    const model = ['--model', 'openai-compatible:scripted-model', '--base-url', server.baseUrl];
    const bench = ['bench', '--data', items, '--steps', '1,3', '--results', results, '--cache-dir', path.join(folder, 'cache'), '--concurrency', '2', '--json', ...model];
    const first = await runInProcess(bench);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject({ results, rows: 12, written: 12, skipped: 0, errors: 0, provenance: { kind: 'scripted' } });

    const rows = (await readFile(results, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    // Three items x (test-time only, sleep-time) x steps 1 and 3, in the order they finished.
    expect(rows.map((row) => `${String(row.itemId)} ${String(row.condition)} ${String(row.stepBudget)}`).sort()).toEqual(
      [...new Set(rows.map((row) => String(row.itemId)))].flatMap((item) => [`${item} sleep-time 1`, `${item} sleep-time 3`, `${item} test-time-only 1`, `${item} test-time-only 3`]).sort(),
    );
    expect(new Set(rows.map((row) => row.itemId)).size).toBe(3);
    for (const row of rows) {
      expect(row.editedFiles).toEqual(['src/index.ts']);
      expect(row.precision).toBe(1);
      expect(row.recall).toBeCloseTo(1 / (row.goldFiles as string[]).length, 12);
      // One step only writes; with three it also says it is done.
      expect(row).toMatchObject(row.stepBudget === 1 ? { stepsUsed: 1, stopReason: 'step-limit' } : { stepsUsed: 2, stopReason: 'done' });
      expect((row.testUsage as { outputTokens: number }).outputTokens).toBe(12 * (row.stepsUsed as number));
      expect(row.sleepUsage === null).toBe(row.condition === 'test-time-only');
      if (row.condition === 'sleep-time') expect((row.sleepUsage as { outputTokens: number }).outputTokens).toBe(36);
    }
    const requests = server.requests.length;

    const again = await runInProcess(bench);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 12, written: 0, skipped: 12 });
    expect(server.requests).toHaveLength(requests);

    const report = await runInProcess(['report', results, '--out', path.join(folder, 'report'), '--json']);
    expect(report.exitCode).toBe(0);
    const written = JSON.parse(report.stdout) as { htmlPath: string; markdownPath: string; figures: string[] };
    expect(written.figures.map((figure) => path.basename(figure))).toEqual(['figure-f-swe-features-f1.svg']);
    const summary = await readFile(written.markdownPath, 'utf8');
    expect(summary).toContain('## SWE-Features · openai-compatible:scripted-model');
    expect(summary).toContain('No token saving is claimed');
    expect(summary).toContain('3 items, fewer than the 30 a claim needs');
  });

  it('runs items whose repository moved with --repo, and says what to do without it', async () => {
    const items = path.join(folder, 'moved-items.jsonl');
    expect((await runInProcess(['data', 'swe-features', '--repo', merged.repository.dir, '-o', items, '--limit', '1'])).exitCode).toBe(0);
    const clone = path.join(folder, 'clone');
    await cp(merged.repository.dir, clone, { recursive: true });
    const text = await readFile(items, 'utf8');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(items, text.split(merged.repository.dir).join(path.join(folder, 'gone')));
    const model = ['--model', 'openai-compatible:scripted-model', '--base-url', server.baseUrl];
    const args = ['bench', '--data', items, '--steps', '1', '--conditions', 'test-time-only', '--results', path.join(folder, 'moved.jsonl'), '--cache-dir', path.join(folder, 'cache'), '--json', ...model];
    const lost = await runInProcess(args);
    expect(lost.exitCode).toBe(1);
    expect(lost.stderr).toMatch(/gone is not a git repository here\. Point the run at a clone that has it \(sleeptime bench --repo PATH\)\./);
    const found = await runInProcess([...args, '--repo', clone]);
    expect(JSON.parse(found.stdout)).toMatchObject({ rows: 1, written: 1 });
  });

  it('refuses the question-answering budgets for SWE-Features items, and --steps for other items', async () => {
    const items = path.join(folder, 'items.jsonl');
    const refused = await runInProcess(['bench', '--data', items, '--verbosity', '0', '--model', 'openai-compatible:x', '--base-url', server.baseUrl]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/--verbosity does not apply to SWE-Features items: their test-time budget is the coding agent's step budget \(--steps\)/);
    const conditions = await runInProcess(['bench', '--data', items, '--conditions', 'pass-at-k', '--model', 'openai-compatible:x', '--base-url', server.baseUrl]);
    expect(conditions.exitCode).toBe(1);
    expect(conditions.stderr).toMatch(/--conditions/);

    const gsm = path.join(folder, 'gsm.jsonl');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(gsm, `${JSON.stringify({ contextId: 'c', id: 'q', context: 'Ana has 2 apples.', query: 'How many?', answer: 2 })}\n`);
    const steps = await runInProcess(['bench', '--data', gsm, '--steps', '5', '--model', 'openai-compatible:x', '--base-url', server.baseUrl]);
    expect(steps.exitCode).toBe(1);
    expect(steps.stderr).toMatch(/--steps applies to SWE-Features items only/);
  });
});
