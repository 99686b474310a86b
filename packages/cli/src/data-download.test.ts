/**
 * `sleeptime data aime|gsm-symbolic` without a datasets folder: the pinned files are downloaded
 * into the cache from a base URL (here an HTTP server on 127.0.0.1; tests never go further), checked
 * against their SHA-256, and reused afterwards.
 *
 * In process, the pinned manifest is replaced by one of the fixture files (same repositories and
 * commits, the fixtures' hashes), so these run on any clone. As child processes (the bundled CLI,
 * the real manifest), the real files are served from the datasets folder when there is one; the
 * offline error needs no data.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixtureAimeFacts, fixtureDatasetFiles, startDatasetsServer, writeDatasetFixtures, type DatasetsServer, type DatasetsServerOptions } from '../../bench/src/datasets/dataset-fixtures-test-support.js';
import { describeWithDatasets } from '../../bench/src/datasets/datasets-test-support.js';
import type * as DatasetsManifest from '../../bench/src/datasets/datasets-manifest.js';
import type { DatasetSource } from '../../bench/src/datasets/datasets-manifest.js';
import { runCli, temporaryDirectory } from './cli-test-support.js';
import { main } from './main.js';

// The in-process CLI downloads the fixture files: the manifest module, as the bench package loads
// it, lists them instead of the pinned files.
vi.mock('../../bench/src/datasets/datasets-manifest.js', async (importOriginal) => {
  const actual = await importOriginal<typeof DatasetsManifest>();
  const { fixtureDatasetSources } = await import('../../bench/src/datasets/dataset-fixtures-test-support.js');
  return { ...actual, DATASET_SOURCES: fixtureDatasetSources(actual.DATASET_SOURCES) };
});

async function runInProcess(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await main(['node', 'sleeptime', ...args], { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { exitCode, stdout, stderr };
}

async function readRows(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name))).sort();
}

/** A port on 127.0.0.1 that nothing listens on: connections to it are refused, as offline. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const servers: DatasetsServer[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: DatasetsServerOptions): Promise<DatasetsServer> {
  const server = await startDatasetsServer(options);
  servers.push(server);
  return server;
}

describe('sleeptime data downloads the pinned datasets when no folder is given (in process, fixture manifest)', () => {
  let fixturesDir: string;
  let fixtureSources: DatasetSource[];
  beforeAll(async () => {
    fixturesDir = await writeDatasetFixtures();
    // The manifest the mocked module gives the bench package, as it loads it.
    fixtureSources = [...(await import('../../bench/src/datasets/datasets-manifest.js')).DATASET_SOURCES];
  });
  afterAll(async () => {
    await rm(fixturesDir, { recursive: true, force: true });
  });

  /** No datasets folder, an empty cache and the base URL in the environment, as a user would set them. */
  async function userEnvironment(baseUrl: string): Promise<string> {
    const cacheDir = path.join(await temporaryDirectory('data-download-cache'), 'datasets');
    vi.stubEnv('SLEEPTIME_DATASETS_DIR', '');
    vi.stubEnv('SLEEPTIME_DATASETS_CACHE_DIR', cacheDir);
    vi.stubEnv('SLEEPTIME_DATASETS_BASE_URL', baseUrl);
    return cacheDir;
  }

  it('aime: downloads into an empty cache with progress on stderr, then reuses it without a request', async () => {
    const aimeFiles = [...fixtureDatasetFiles().keys()].filter((file) => file.startsWith('aime/'));
    expect(fixtureSources.find((source) => source.dataset === 'aime')?.files).toHaveLength(aimeFiles.length);
    const server = await serve({ sources: fixtureSources, datasetsDir: fixturesDir });
    const cacheDir = await userEnvironment(server.baseUrl);
    const out = path.join(await temporaryDirectory('data-download'), 'aime.jsonl');

    const first = await runInProcess(['data', 'aime', '--out', out]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toMatch(
      new RegExp(
        `^Downloading the AIME 2024-2025 problems \\(eth-sri/matharena@81f103e, ${aimeFiles.length} files, \\d+ KB\\) into ${path.join(cacheDir, 'aime')}\\n` +
          `Downloaded and checked ${aimeFiles.length} files\\.\\n$`,
      ),
    );
    expect(first.stdout).toBe(`Wrote ${fixtureAimeFacts.ids.length} problems (1 with figures) to ${out}.\n`);
    expect((await readRows(out)).map((row) => row.id)).toEqual(fixtureAimeFacts.ids);
    expect(await listFiles(cacheDir)).toEqual(aimeFiles.sort());
    expect(server.requests).toHaveLength(aimeFiles.length);

    const again = await runInProcess(['data', 'aime', '--out', out]);
    expect(again).toMatchObject({ exitCode: 0, stderr: '' });
    expect(server.requests).toHaveLength(aimeFiles.length);
  });

  it('gsm-symbolic: downloads only the templates, from --datasets-base-url, quietly with --json', async () => {
    const server = await serve({ sources: fixtureSources, datasetsDir: fixturesDir });
    const cacheDir = await userEnvironment(`http://127.0.0.1:${await closedPort()}`);
    const out = path.join(await temporaryDirectory('data-download'), 'p1.jsonl');
    const run = await runInProcess(['data', 'gsm-symbolic', '--variant', 'p1', '--per-template', '2', '--datasets-base-url', server.baseUrl, '--out', out, '--json']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ instances: 6, templates: 3, variant: 'p1' });
    expect(server.requests.every((request) => request.startsWith('/apple/ml-gsm-symbolic/b6a1625025fc857300203bac9f617e5d8ec99f65/'))).toBe(true);
    expect((await listFiles(cacheDir)).every((file) => file.startsWith(`gsm-symbolic${path.sep}`))).toBe(true);
  });

  it('fails in one line, writing nothing, when offline', async () => {
    const cacheDir = await userEnvironment(`http://127.0.0.1:${await closedPort()}`);
    const out = path.join(await temporaryDirectory('data-download'), 'never.jsonl');
    const run = await runInProcess(['data', 'aime', '--out', out]);
    expect(run.exitCode).toBe(2);
    const [progress, error, ...rest] = run.stderr.split('\n');
    expect(progress).toMatch(/^Downloading the AIME 2024-2025 problems/);
    expect(error).toMatch(/^sleeptime: Could not download the AIME 2024-2025 problems \(eth-sri\/matharena@81f103e\): http:\/\/127\.0\.0\.1:\d+\/\S+ failed \(.*ECONNREFUSED.*\)\. .* \[dataset_download_failed\]$/);
    expect(rest).toEqual(['']);
    await expect(readFile(out, 'utf8')).rejects.toThrow();
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('refuses a file that does not match its checksum, in one line', async () => {
    const server = await serve({
      sources: fixtureSources,
      datasetsDir: fixturesDir,
      override: (file) => (file === 'aime/aime_2025_I/answers.csv' ? { body: Buffer.from('id,answer\n1,75\n2,067\n') } : undefined),
    });
    const cacheDir = await userEnvironment(server.baseUrl);
    const out = path.join(await temporaryDirectory('data-download'), 'never.jsonl');
    const run = await runInProcess(['data', 'aime', '--out', out, '--json']);
    expect(run.exitCode).toBe(2);
    const { error } = JSON.parse(run.stderr) as { error: { code: string; category: string; message: string } };
    expect(error).toMatchObject({ code: 'dataset_checksum_mismatch', category: 'upstream' });
    expect(error.message).toContain('/data/aime/aime_2025_I/answers.csv does not match its pinned SHA-256');
    expect(await listFiles(cacheDir)).not.toContain(path.join('aime', 'aime_2025_I', 'answers.csv'));
    await expect(readFile(out, 'utf8')).rejects.toThrow();
  });
});

describe('sleeptime data as a child process (the bundled CLI, the pinned manifest)', () => {
  it('says in one line that it could not download when offline, and leaves the cache empty', async () => {
    const home = await temporaryDirectory('data-offline-home');
    const out = path.join(home, 'aime.jsonl');
    const run = await runCli(['data', 'aime', '--out', out], { HOME: home, SLEEPTIME_DATASETS_BASE_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(run.exitCode).toBe(2);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`Downloading the AIME 2024-2025 problems (eth-sri/matharena@81f103e, 75 files, 67 KB) into ${path.join(home, '.cache', 'sleeptime', 'datasets', 'aime')}`);
    expect(lines[1]).toMatch(/^sleeptime: Could not download the AIME 2024-2025 problems .*ECONNREFUSED.* \[dataset_download_failed\]$/);
    expect(await listFiles(home)).toEqual([]);
  });
});

describeWithDatasets('sleeptime data as a child process, downloading the real pinned files', (datasetsDir) => {
  it('aime and gsm-symbolic work end to end from an empty ~/.cache/sleeptime/datasets', async () => {
    // The real manifest (this file mocks the module for the in-process tests).
    const pinned = await vi.importActual<typeof DatasetsManifest>('../../bench/src/datasets/datasets-manifest.js');
    const server = await serve({ sources: pinned.DATASET_SOURCES, datasetsDir });
    const home = await temporaryDirectory('data-download-home');
    const env = { HOME: home, SLEEPTIME_DATASETS_BASE_URL: server.baseUrl };
    const cacheDir = path.join(home, '.cache', 'sleeptime', 'datasets');

    const aime = path.join(home, 'aime.jsonl');
    const aimeRun = await runCli(['data', 'aime', '--out', aime], env);
    expect(aimeRun.exitCode, aimeRun.stderr).toBe(0);
    expect(aimeRun.stderr).toMatch(/^Downloading the AIME 2024-2025 problems \(eth-sri\/matharena@81f103e, 75 files, \d+ KB\) into .*\nDownloaded and checked 75 files\.\n$/);
    expect(await readRows(aime)).toHaveLength(60);
    expect(await listFiles(path.join(cacheDir, 'aime'))).toHaveLength(75);

    const p2 = path.join(home, 'p2.jsonl');
    const gsmRun = await runCli(['data', 'gsm-symbolic', '--variant', 'p2', '--out', p2, '--json'], env);
    expect(gsmRun.exitCode, gsmRun.stderr).toBe(0);
    expect(JSON.parse(gsmRun.stdout)).toMatchObject({ instances: 50, templates: 50 });
    expect(server.requests).toHaveLength(75 + 251);

    // Everything is cached now: another run makes no request.
    expect((await runCli(['data', 'aime', '--out', aime, '--json'], env)).exitCode).toBe(0);
    expect(server.requests).toHaveLength(75 + 251);
  });
});
