/** `sleeptime data swe-features`: items from a repository the test builds, and from a released file. */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLinearRepository, buildMergedRepository, type LinearRepository, type MergedRepository } from '../../bench/src/datasets/swe-features/swe-features-test-support.js';
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
  return text === '' ? [] : text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

let merged: MergedRepository;
let linear: LinearRepository;
let folder: string;

beforeAll(async () => {
  [merged, linear, folder] = await Promise.all([buildMergedRepository(), buildLinearRepository(), temporaryDirectory('data-swe')]);
});

afterAll(async () => {
  await Promise.all([merged.repository.remove(), linear.repository.remove(), rm(folder, { recursive: true, force: true })]);
});

describe('sleeptime data swe-features', () => {
  it('writes the feature merges of a repository as items, and a summary for machines', async () => {
    const out = path.join(folder, 'merged.jsonl');
    const run = await runInProcess(['data', 'swe-features', '--repo', merged.repository.dir, '-o', out, '--context-prs', '2', '--json']);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      out,
      items: 3,
      mode: 'merges',
      repository: merged.repository.dir,
      scanned: 8,
      considered: 6,
      skipped: { 'sync-merge': 1, 'no-files': 0, 'too-many-files': 0, 'no-source-files': 1, 'not-a-feature': 1 },
    });
    const rows = await readRows(out);
    expect(rows.map((row) => [row.id, row.baseCommit, row.goldFiles])).toEqual([
      ['reports-pr-1', merged.initial, ['src/cli.ts', 'src/export/csv.ts', 'src/index.ts', 'test/csv.test.ts']],
      ['reports-pr-3', await merged.repository.git('rev-parse', `${merged.merges.json}^1`), ['src/cli.ts', 'src/export/json.ts', 'src/index.ts']],
      [expect.stringMatching(/^reports-/), merged.merges.docs, ['README.md', 'src/cli.ts', 'src/export/xml.ts', 'src/index.ts', 'test/xml.test.ts']],
    ]);
    expect((rows[2]?.contextPullRequests as { pullRequest: number }[]).map((pr) => pr.pullRequest)).toEqual([1, 3]);
  });

  it('tells people what it wrote and what it left out, with --limit and --since', async () => {
    const out = path.join(folder, 'linear.jsonl');
    const since = await linear.repository.git('log', '-1', '--format=%cI', linear.commits.login);
    const run = await runInProcess(['data', 'swe-features', '--repo', linear.repository.dir, '-o', out, '--since', since, '--limit', '1']);
    expect(run.exitCode).toBe(0);
    // Newest first: the one-file tweak is left out, the session handling is the one feature taken.
    expect(run.stdout).toBe(`Wrote 1 feature item to ${out}, from 2 commits of ${linear.repository.dir} (left out: not a feature (fix, docs, refactoring...): 1).\n`);
    expect((await readRows(out)).map((row) => row.featureCommit)).toEqual([linear.commits.session]);
  });

  it('loads a released set with --from-file, repositories under --clones', async () => {
    const input = path.join(folder, 'released.jsonl');
    await writeFile(input, `${JSON.stringify({ repo: 'Aider-AI/aider', base_commit: 'abc', problem_statement: 'Add /voice.', modified_files: ['aider/commands.py'] })}\n`);
    const out = path.join(folder, 'released-out.jsonl');
    const run = await runInProcess(['data', 'swe-features', '--from-file', input, '--clones', '/src', '-o', out, '--json']);
    expect(JSON.parse(run.stdout)).toEqual({ out, items: 1, source: 'released' });
    expect(await readRows(out)).toEqual([expect.objectContaining({ repository: path.join('/src', 'aider'), baseCommit: 'abc', goldFiles: ['aider/commands.py'], source: 'released' })]);
  });

  it('refuses a missing source, two sources, a bad mode and a folder that is not a repository, writing nothing', async () => {
    const out = path.join(folder, 'never.jsonl');
    const neither = await runInProcess(['data', 'swe-features', '-o', out, '--json']);
    expect([neither.exitCode, JSON.parse(neither.stderr).error.code]).toEqual([1, 'invalid_option']);
    const both = await runInProcess(['data', 'swe-features', '--repo', '.', '--from-file', 'x.jsonl', '-o', out]);
    expect(both.exitCode).toBe(1);
    const mode = await runInProcess(['data', 'swe-features', '--repo', merged.repository.dir, '--mode', 'squash', '-o', out]);
    expect([mode.exitCode, mode.stderr]).toEqual([1, expect.stringContaining('--mode must be one of auto, merges, commits')]);
    const notRepository = await runInProcess(['data', 'swe-features', '--repo', folder, '-o', out, '--json']);
    expect([notRepository.exitCode, JSON.parse(notRepository.stderr).error.code]).toEqual([1, 'repository_not_found']);
    await expect(readFile(out)).rejects.toThrow();
  });
});
