/**
 * `sleeptime data`, `bench`, `predictability` and `report` end to end, as real child processes,
 * on fixture GSM-Symbolic templates and a scripted OpenAI-compatible model (and a random-weight
 * GGUF for the log-probabilities). The scripted model is right exactly when the learned context is
 * in its prompt: this checks the pipeline (grid, resume, cache, figures), not the method.
 */
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomLlamaGguf } from '@sleeptime/llama/testing';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';
import { writeDatasetFixtures } from '../../bench/src/datasets/dataset-fixtures-test-support.js';
import { parseJson, runCli, temporaryDirectory } from './cli-test-support.js';

const memoryMarker = 'PRECOMPUTED:';

interface ResultRow {
  key: string;
  condition: string;
  correct: boolean;
}

async function readLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim() !== '');
}

describe('sleeptime bench and report on a scripted model', () => {
  let directory: string;
  let dataPath: string;
  let answersByQuery: Map<string, number>;
  let server: ScriptedOpenAIServer;

  function scriptedModel(request: RecordedRequest): ScriptedReply {
    const prompt = JSON.stringify(request.body.messages);
    if ((request.body.tools?.length ?? 0) > 0) {
      const afterToolResult = request.body.messages?.some((message) => message.role === 'tool') ?? false;
      return afterToolResult
        ? { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: { prompt_tokens: 200, completion_tokens: 4 } }
        : { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: `${memoryMarker} the facts of this context, worked out ahead of time` } }], usage: { prompt_tokens: 150, completion_tokens: 60 } };
    }
    const query = [...answersByQuery.keys()].find((candidate) => prompt.includes(JSON.stringify(candidate).slice(1, -1)));
    const right = query !== undefined && prompt.includes(memoryMarker);
    const answer = right ? answersByQuery.get(query) : -1;
    return { text: `The answer is ${answer}.`, usage: { prompt_tokens: 120, completion_tokens: right ? 8 : 30 }, delayMs: 5 };
  }

  beforeAll(async () => {
    directory = await temporaryDirectory('cli-bench');
    dataPath = path.join(directory, 'p1.jsonl');
    // Three fixture templates in the real format: the pipeline needs no shared datasets folder.
    const datasetsDir = await writeDatasetFixtures(path.join(directory, 'datasets'));
    const data = await runCli(
      ['data', 'gsm-symbolic', '--variant', 'p1', '--template', '0000', '0001', '0002', '--per-template', '2', '--seed', '5', '--datasets-dir', datasetsDir, '--out', dataPath],
      {},
    );
    expect(data.exitCode).toBe(0);
    answersByQuery = new Map(
      (await readLines(dataPath)).map((line) => {
        const row = JSON.parse(line) as { query: string; answer: number };
        return [row.query, row.answer];
      }),
    );
    server = await startScriptedOpenAIServer(scriptedModel);
  });
  afterAll(async () => {
    await server.close();
  });

  const gridFlags = ['--verbosity', '0,2', '--parallel', '1,2', '--concurrency', '2'];
  // 6 items x (test-time-only 2 + sleep-time 2x2 + context-only 2 + pass@k 2) = 60 rows.
  const expectedRows = 60;

  it('resumes after a kill -9 without losing or repeating a row or a model call, then reports every figure', async () => {
    const env = { SLEEPTIME_MODEL: 'openai-compatible:scripted', SLEEPTIME_BASE_URL: server.baseUrl };

    // The reference: one uninterrupted run, with its own cache.
    const reference = path.join(directory, 'reference');
    const requestsBefore = server.requests.length;
    const referenceRun = parseJson<{ rows: number; written: number; provenance: unknown }>(
      await runCli(['bench', '--data', dataPath, '--results', path.join(reference, 'results.jsonl'), '--cache-dir', path.join(reference, 'cache'), ...gridFlags, '--json'], env, 120_000),
    );
    expect(referenceRun).toMatchObject({ rows: expectedRows, written: expectedRows, provenance: { kind: 'scripted', source: 'server' } });
    const requestsOfOneRun = server.requests.length - requestsBefore;

    // The same grid, killed half way, then run again.
    const resultsPath = path.join(directory, 'results.jsonl');
    const cacheDir = path.join(directory, 'cache');
    const args = ['bench', '--data', dataPath, '--results', resultsPath, '--cache-dir', cacheDir, ...gridFlags, '--json'];
    const requestsBeforeKill = server.requests.length;
    const binPath = fileURLToPath(new URL('../bin/sleeptime.js', import.meta.url));
    const child = spawn(process.execPath, [binPath, ...args], { env: { PATH: process.env.PATH ?? '', HOME: directory, ...env }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (let waited = 0; waited < 60_000 && (await readLines(resultsPath)).length < 15; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await exited;
    const rowsAtKill = (await readLines(resultsPath)).length;
    expect(rowsAtKill).toBeGreaterThanOrEqual(15);
    expect(rowsAtKill).toBeLessThan(expectedRows);

    const resumed = parseJson<{ rows: number; written: number; skipped: number }>(await runCli(args, env, 120_000));
    expect(resumed.rows).toBe(expectedRows);
    expect(resumed.skipped).toBeGreaterThanOrEqual(rowsAtKill - 1);
    const rows = (await readLines(resultsPath)).map((line) => JSON.parse(line) as ResultRow);
    expect(rows).toHaveLength(expectedRows);
    expect(new Set(rows.map((row) => row.key)).size).toBe(expectedRows);
    // Only calls caught by the kill are made again: those in flight (at most --concurrency 2) and
    // those answered but not yet in the cache (at most as many again). Every other call is not.
    const requestsAcrossKill = server.requests.length - requestsBeforeKill;
    expect(requestsAcrossKill).toBeGreaterThanOrEqual(requestsOfOneRun);
    expect(requestsAcrossKill).toBeLessThanOrEqual(requestsOfOneRun + 4);

    // The scripted model is right only with the learned context.
    for (const row of rows) expect(row.correct, row.condition).toBe(row.condition === 'sleep-time');

    // A full rerun costs nothing.
    const requestsBeforeRerun = server.requests.length;
    expect(parseJson(await runCli(args, env))).toMatchObject({ rows: expectedRows, written: 0, skipped: expectedRows });
    expect(server.requests.length).toBe(requestsBeforeRerun);

    // Log-probabilities from a random-weight GGUF (plumbing only), then the report.
    const modelPath = path.join(directory, 'scorer.gguf');
    await writeRandomLlamaGguf(modelPath, { seed: 3 });
    const scoresPath = path.join(directory, 'scores.jsonl');
    expect(parseJson(await runCli(['predictability', '--data', dataPath, '--out', scoresPath, '--model', `llama:${modelPath}`, '--json'], {}))).toMatchObject({ items: 6 });

    const reportDir = path.join(directory, 'report');
    const report = parseJson<{ htmlPath: string; figures: string[] }>(
      await runCli(['report', resultsPath, '--out', reportDir, '--predictability', scoresPath, '--json'], {}),
    );
    expect(report.figures.map((figure) => path.basename(figure)).sort()).toEqual([
      'figure-a-pareto.svg',
      'figure-b-sleep-budget.svg',
      'figure-c-amortized-cost.svg',
      'figure-d-predictability.svg',
      'figure-e-pass-at-k.svg',
    ]);
    for (const figure of report.figures) {
      const svg = await readFile(figure, 'utf8');
      expect(svg).toMatch(/^(<\?xml[^>]*\?>\s*)?<svg[\s\S]*<\/svg>\s*$/);
      // A figure with data is a Vega chart with marks; the placeholder for missing data says "no data:".
      expect(svg, figure).toMatch(/role-mark/);
      expect(svg, figure).not.toMatch(/no data:/i);
    }
    const html = await readFile(report.htmlPath, 'utf8');
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(5);
    expect(html).toMatch(/check the pipeline, not the method/);
    expect((await readdir(reportDir)).sort()).toEqual(expect.arrayContaining(['index.html', 'summary.md']));
  }, 300_000);

  it('records the provenance the user states with --provenance, and refuses one it does not know', async () => {
    const env = { SLEEPTIME_MODEL: 'openai-compatible:some-model', SLEEPTIME_BASE_URL: server.baseUrl };
    const resultsPath = path.join(directory, 'stated', 'results.jsonl');
    const args = ['bench', '--data', dataPath, '--results', resultsPath, '--cache-dir', path.join(directory, 'stated', 'cache'), '--limit', '1', '--conditions', 'test-time-only', '--verbosity', '0'];
    const run = parseJson<{ written: number; provenance: unknown }>(await runCli([...args, '--provenance', 'random-weights', '--json'], env));
    expect(run).toMatchObject({ written: 1, provenance: { kind: 'random-weights', source: 'stated' } });
    const [row] = (await readLines(resultsPath)).map((line) => JSON.parse(line) as { provenance: unknown });
    expect(row?.provenance).toEqual({ kind: 'random-weights', source: 'stated' });
    const report = parseJson<{ markdownPath: string }>(await runCli(['report', resultsPath, '--out', path.join(directory, 'stated', 'report'), '--json'], {}));
    // The model is named with its server (the bench's model identity).
    expect(await readFile(report.markdownPath, 'utf8')).toContain(`openai-compatible:some-model@${server.baseUrl} (random weights, as stated by the user)`);

    const refused = await runCli([...args, '--provenance', 'trained'], env);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/--provenance must be one of real, scripted, random-weights/);
  });

  it('says clearly when there are no results to report', async () => {
    const run = await runCli(['report', path.join(directory, 'nothing.jsonl'), '--out', path.join(directory, 'empty-report')], {});
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/no results/);
  });
});
