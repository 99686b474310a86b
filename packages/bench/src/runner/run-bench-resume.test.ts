/**
 * Crash and resume, for real: the benchmark runs in a child process that is killed with SIGKILL
 * half way through, then runs again. Nothing may be lost or written twice, and no model call whose
 * result was delivered may be made again: the calls answered across both runs must equal those of
 * one uninterrupted run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '@sleeptime/core';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '@sleeptime/core/testing';
import type { BenchResultRow } from '../bench-types.js';
import { expandGrid, type GridSpecInput } from './grid.js';
import { readResultsFile } from './results-file.js';
import { runBench } from './run-bench.js';
import { benchTestItems, createBenchScript, standardBenchAnswer } from './runner-test-support.js';
import { waitFor } from '@sleeptime/core/testing';

const childPath = fileURLToPath(new URL('./run-bench-resume.test-child.ts', import.meta.url));
const grid: GridSpecInput = { testBudgets: { verbosity: [0, 2] }, sleepBudgets: { parallel: [1, 2] }, passAtK: [1, 2, 5] };
const modelSpec = 'openai-compatible:scripted';
const totalCells = expandGrid(benchTestItems, grid, { model: modelSpec }).length;

async function countCacheEntries(cacheDir: string): Promise<number> {
  let count = 0;
  for (const folder of await readdir(cacheDir).catch(() => [] as string[])) {
    const names = await readdir(join(cacheDir, folder)).catch(() => [] as string[]);
    count += names.filter((name) => /^[0-9a-f]{64}\.json$/.test(name)).length;
  }
  return count;
}

function comparable(row: BenchResultRow): Partial<BenchResultRow> {
  // When a row was written, and how long its calls took, depend on the run; nothing else may.
  const { createdAt: _createdAt, latencyMs: _latencyMs, ...rest } = row;
  return rest;
}

describe('runBench resumes after SIGKILL', () => {
  let root: string;
  const servers: ScriptedOpenAIServer[] = [];
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sleeptime-resume-'));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await Promise.all(servers.map((server) => server.close()));
    await rm(root, { recursive: true, force: true });
  });

  it('loses no row, duplicates none, and repeats no answered model call', async () => {
    // 1. One uninterrupted run: how many calls the grid needs.
    const baseline = createBenchScript({ answer: standardBenchAnswer });
    const baselineServer = await startScriptedOpenAIServer(baseline.script);
    servers.push(baselineServer);
    const baselineModel = await createModel(modelSpec, { baseUrl: baselineServer.baseUrl, env: {} });
    const uninterrupted = await runBench({
      items: benchTestItems,
      grid,
      model: baselineModel,
      resultsPath: join(root, 'baseline', 'results.jsonl'),
      cacheDir: join(root, 'baseline', 'cache'),
      concurrency: 3,
    });
    const callsOfOneRun = baselineServer.requests.length;
    expect(uninterrupted.rows).toHaveLength(totalCells);
    expect(callsOfOneRun).toBeGreaterThan(20);

    // 2. The same grid in a child process; from the half-way call on, the server holds every
    //    request unanswered, and once every answered call is in the cache, the child is killed.
    let answered = 0;
    let holdFrom = Math.floor(callsOfOneRun / 2);
    const script = createBenchScript({
      answer: standardBenchAnswer,
      override: () => {
        if (answered >= holdFrom) return { delayMs: 10 * 60_000 };
        answered += 1;
        return undefined;
      },
    });
    const server = await startScriptedOpenAIServer(script.script);
    servers.push(server);
    const resultsPath = join(root, 'resumed', 'results.jsonl');
    const cacheDir = join(root, 'resumed', 'cache');
    let childOutput = '';
    child = spawn(process.execPath, ['--conditions=@sleeptime/source', '--import', 'tsx', childPath, JSON.stringify({ baseUrl: server.baseUrl, resultsPath, cacheDir, grid, concurrency: 3 })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child?.once('exit', (_code, signal) => resolve(signal)));

    await waitFor('the child to reach the held calls', () => (answered === holdFrom && server.requests.length > holdFrom ? true : undefined), { intervalMs: 20 });
    await waitFor('the answered calls to be cached', async () => ((await countCacheEntries(cacheDir)) === holdFrom ? true : undefined), { intervalMs: 20 });
    child.kill('SIGKILL');
    expect(await exited, childOutput).toBe('SIGKILL');

    const beforeRestart = await readResultsFile(resultsPath);
    expect(beforeRestart.rows.length).toBeGreaterThan(0);
    expect(beforeRestart.rows.length).toBeLessThan(totalCells);
    // A crash in the middle of a write leaves half a line: the restart must cope with that too.
    await appendFile(resultsPath, '{"key":"0123abc","dataset":"multi-query-te');

    // 3. Restart, with the server answering again.
    holdFrom = Number.POSITIVE_INFINITY;
    const restartModel = await createModel(modelSpec, { baseUrl: server.baseUrl, env: {} });
    const restarted = await runBench({ items: benchTestItems, grid, model: restartModel, resultsPath, cacheDir, concurrency: 3 });
    expect(restarted.skipped).toBe(beforeRestart.rows.length);
    expect(restarted.written).toBe(totalCells - beforeRestart.rows.length);

    const { rows, tornLastLine } = await readResultsFile(resultsPath);
    expect(tornLastLine).toBe(false);
    expect(rows).toHaveLength(totalCells);
    expect(new Set(rows.map((row) => row.key)).size).toBe(totalCells);
    // Every row written before the kill is still there, unchanged.
    for (const row of beforeRestart.rows) expect(rows).toContainEqual(row);
    // Same answers, usage and grades as the uninterrupted run.
    const byKey = (list: BenchResultRow[]) => [...list].sort((left, right) => left.key.localeCompare(right.key)).map(comparable);
    expect(byKey(rows)).toEqual(byKey(uninterrupted.rows));
    // No answered call was made twice: both runs together answered as many as one run.
    expect(answered).toBe(callsOfOneRun);

    // 4. A full rerun: nothing to do, no call.
    const requestsBefore = server.requests.length;
    const rerun = await runBench({ items: benchTestItems, grid, model: restartModel, resultsPath, cacheDir });
    expect(rerun).toMatchObject({ written: 0, skipped: totalCells });
    expect(server.requests.length).toBe(requestsBefore);
  });
});
