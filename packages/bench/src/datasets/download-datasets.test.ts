/**
 * Downloading the pinned datasets, against a real HTTP server on 127.0.0.1 that serves the fixture
 * files under the URLs of the real sources, with a manifest of the fixtures' own hashes (and, when a
 * datasets folder is present, the real files with the real manifest).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';
import { loadAime } from './aime.js';
import { fixtureAimeFacts, fixtureDatasetFiles, fixtureDatasetSources, startDatasetsServer, writeDatasetFixtures, type DatasetsServer } from './dataset-fixtures-test-support.js';
import { DATASET_SOURCES, type DatasetSource } from './datasets-manifest.js';
import { describeWithDatasets } from './datasets-test-support.js';
import { downloadDatasets, prepareDatasets, type DatasetDownloadProgress } from './download-datasets.js';
import { generateGsmSymbolic, loadGsmSymbolicTemplates } from './gsm-symbolic/generator.js';

let fixturesDir: string;
let scratch: string;
const sources: DatasetSource[] = fixtureDatasetSources(DATASET_SOURCES);
const servers: DatasetsServer[] = [];

beforeAll(async () => {
  fixturesDir = await writeDatasetFixtures();
  scratch = await mkdtemp(join(tmpdir(), 'sleeptime-download-'));
});
afterAll(async () => {
  await rm(fixturesDir, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: Partial<Parameters<typeof startDatasetsServer>[0]> = {}): Promise<DatasetsServer> {
  const server = await startDatasetsServer({ sources, datasetsDir: fixturesDir, ...options });
  servers.push(server);
  return server;
}

let caches = 0;
/** A new, empty cache folder. */
function emptyCache(): string {
  caches += 1;
  return join(scratch, `cache-${caches}`);
}

/** Every file under a folder, as paths relative to it. */
async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1)).sort();
}

/** A port on 127.0.0.1 that nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const aimeFiles = [...fixtureDatasetFiles()].filter(([path]) => path.startsWith('aime/'));

describe('downloadDatasets', () => {
  it('fetches every file of the dataset asked for into an empty cache, verified, with progress', async () => {
    const server = await serve();
    const cacheDir = emptyCache();
    const events: DatasetDownloadProgress[] = [];
    const result = await downloadDatasets({ datasets: ['aime'], cacheDir, baseUrl: server.baseUrl, sources, onProgress: (event) => events.push(event) });

    expect(result).toEqual({ cacheDir, downloadedFiles: aimeFiles.length, downloadedBytes: aimeFiles.reduce((sum, [, bytes]) => sum + bytes.length, 0), reusedFiles: 0, removedFiles: 0 });
    for (const [path, bytes] of aimeFiles) expect(await readFile(join(cacheDir, path)), path).toEqual(Buffer.from(bytes));
    expect(await listFiles(cacheDir)).toEqual(aimeFiles.map(([path]) => path).sort());
    // Only AIME was asked for, under the URLs of the pinned repository and commit.
    expect(server.requests).toHaveLength(aimeFiles.length);
    expect(server.requests).toContain('/eth-sri/matharena/81f103e38b1df076afa65ee0a3ffbe148d42e6d2/data/aime/aime_2024_I/answers.csv');
    expect(server.requests).toContain('/eth-sri/matharena/81f103e38b1df076afa65ee0a3ffbe148d42e6d2/LICENSE');

    expect(events[0]).toMatchObject({ dataset: 'aime', totalFiles: aimeFiles.length, doneFiles: 0, doneBytes: 0, folder: join(cacheDir, 'aime') });
    expect(events.at(-1)).toMatchObject({ doneFiles: aimeFiles.length, doneBytes: result.downloadedBytes });
    expect(events.map((event) => event.doneFiles)).toEqual(Array.from({ length: aimeFiles.length + 1 }, (_, index) => index));

    // The cache is a datasets folder for the loaders.
    expect((await loadAime({ datasetsDir: cacheDir })).map((item) => item.id)).toEqual(fixtureAimeFacts.ids);
  });

  it('reuses the cache: a second run fetches nothing, and a damaged or missing file is fetched again alone', async () => {
    const server = await serve();
    const cacheDir = emptyCache();
    await downloadDatasets({ datasets: ['gsm-symbolic', 'aime'], cacheDir, baseUrl: server.baseUrl, sources });
    const firstRun = server.requests.length;
    expect(firstRun).toBe(fixtureDatasetFiles().size);

    const events: DatasetDownloadProgress[] = [];
    const again = await downloadDatasets({ datasets: ['gsm-symbolic', 'aime'], cacheDir, baseUrl: server.baseUrl, sources, onProgress: (event) => events.push(event) });
    expect(again).toMatchObject({ downloadedFiles: 0, reusedFiles: firstRun });
    expect(server.requests).toHaveLength(firstRun);
    expect(events).toEqual([]);

    await writeFile(join(cacheDir, 'gsm-symbolic', 'templates', 'p1', '0001.json'), '{"damaged": true}');
    await rm(join(cacheDir, 'aime', 'aime_2025_II', 'answers.csv'));
    const repaired = await downloadDatasets({ datasets: ['gsm-symbolic', 'aime'], cacheDir, baseUrl: server.baseUrl, sources });
    expect(repaired).toMatchObject({ downloadedFiles: 2, reusedFiles: firstRun - 2 });
    expect(server.requests.slice(firstRun).sort()).toEqual([
      '/apple/ml-gsm-symbolic/b6a1625025fc857300203bac9f617e5d8ec99f65/templates/p1/0001.json',
      '/eth-sri/matharena/81f103e38b1df076afa65ee0a3ffbe148d42e6d2/data/aime/aime_2025_II/answers.csv',
    ]);
    expect(await readFile(join(cacheDir, 'gsm-symbolic', 'templates', 'p1', '0001.json'))).toEqual(Buffer.from(fixtureDatasetFiles().get('gsm-symbolic/templates/p1/0001.json') as Uint8Array));
  });

  it('refuses a file that does not match its pinned checksum, in one line, and keeps nothing of it', async () => {
    const tampered = 'aime/aime_2024_I/answers.csv';
    const server = await serve({ override: (path) => (path === tampered ? { body: Buffer.from('id,answer\n1,999\n2,018\n3,130\n') } : undefined) });
    const cacheDir = emptyCache();
    const error = await sleeptimeErrorOf(downloadDatasets({ datasets: ['aime'], cacheDir, baseUrl: server.baseUrl, sources, concurrency: 1 }));
    expect(error.code).toBe('dataset_checksum_mismatch');
    expect(error.category).toBe('upstream');
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain(`${server.baseUrl}/eth-sri/matharena/81f103e38b1df076afa65ee0a3ffbe148d42e6d2/data/aime/aime_2024_I/answers.csv does not match its pinned SHA-256`);
    expect(error.details).toMatchObject({ path: 'aime_2024_I/answers.csv', dataset: 'aime' });
    const left = await listFiles(cacheDir);
    expect(left).not.toContain(tampered);
    expect(left.filter((path) => path.endsWith('.tmp'))).toEqual([]);
    // Files verified before the failure stay: the next run resumes from them.
    expect(left.every((path) => aimeFiles.some(([fixture]) => fixture === path))).toBe(true);
  });

  it('says in one line when it cannot connect (offline), without retrying', async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}`;
    const cacheDir = emptyCache();
    const started = Date.now();
    const error = await sleeptimeErrorOf(downloadDatasets({ datasets: ['gsm-symbolic'], cacheDir, baseUrl, sources }));
    expect(error.code).toBe('dataset_download_failed');
    expect(error.category).toBe('upstream');
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(/^Could not download the GSM-Symbolic templates \(apple\/ml-gsm-symbolic@b6a1625\): http:\/\/127\.0\.0\.1:\d+\/apple\/ml-gsm-symbolic\/b6a1625025fc857300203bac9f617e5d8ec99f65\/\S+ failed \(.*ECONNREFUSED.*\)\. Check the network, or pass --datasets-dir/);
    expect(error.details).toMatchObject({ code: 'ECONNREFUSED' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('fails on a 404 at once, and on a 503 after its retries', async () => {
    const missing = 'gsm-symbolic/templates/p2/0001.json';
    const notFound = await serve({ override: (path) => (path === missing ? { status: 404 } : undefined) });
    const error = await sleeptimeErrorOf(downloadDatasets({ datasets: ['gsm-symbolic'], cacheDir: emptyCache(), baseUrl: notFound.baseUrl, sources, concurrency: 1 }));
    expect(error.code).toBe('dataset_download_failed');
    expect(error.message).toContain('p2/0001.json answered HTTP 404');
    expect(notFound.requests.filter((request) => request.endsWith('p2/0001.json'))).toHaveLength(1);

    const unavailable = await serve({ override: (path) => (path === missing ? { status: 503 } : undefined) });
    const retried = await sleeptimeErrorOf(downloadDatasets({ datasets: ['gsm-symbolic'], cacheDir: emptyCache(), baseUrl: unavailable.baseUrl, sources, retries: 2 }));
    expect(retried.message).toContain('answered HTTP 503');
    expect(retried.details).toMatchObject({ status: 503 });
    expect(unavailable.requests.filter((request) => request.endsWith('p2/0001.json'))).toHaveLength(3);
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    const server = await serve({ override: (path) => (path === 'aime/aime_2025_I/problems/1.tex' ? 'hang' : undefined) });
    const error = await sleeptimeErrorOf(downloadDatasets({ datasets: ['aime'], cacheDir: emptyCache(), baseUrl: server.baseUrl, sources, timeoutMs: 300, retries: 0 }));
    expect(error.code).toBe('dataset_download_failed');
    expect(error.message).toContain('aime_2025_I/problems/1.tex did not answer within 0.3 s');
    expect(error.details).toMatchObject({ timeoutMs: 300 });
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const server = await serve({ delayMs: 20 });
    await downloadDatasets({ datasets: ['gsm-symbolic'], cacheDir: emptyCache(), baseUrl: server.baseUrl, sources, concurrency: 3 });
    expect(server.maxInFlight()).toBe(3);
  });

  it('removes files the manifest does not list (left by another pin), not writes in progress', async () => {
    const server = await serve();
    const cacheDir = emptyCache();
    const stale = join(cacheDir, 'gsm-symbolic', 'templates', 'p1', '0099.json');
    const inProgress = join(cacheDir, 'gsm-symbolic', 'templates', 'p1', '0000.json.123.abcd.tmp');
    await mkdir(join(cacheDir, 'gsm-symbolic', 'templates', 'p1'), { recursive: true });
    await writeFile(stale, '{}');
    await writeFile(inProgress, '{');
    const result = await downloadDatasets({ datasets: ['gsm-symbolic'], cacheDir, baseUrl: server.baseUrl, sources });
    expect(result.removedFiles).toBe(1);
    expect((await listFiles(join(cacheDir, 'gsm-symbolic', 'templates', 'p1'))).sort()).toEqual(['0000.json', '0000.json.123.abcd.tmp', '0001.json', '0002.json']);
  });

  it('takes the base URL from SLEEPTIME_DATASETS_BASE_URL and the cache from SLEEPTIME_DATASETS_CACHE_DIR', async () => {
    const server = await serve();
    const cacheDir = emptyCache();
    const result = await downloadDatasets({ datasets: ['gsm-symbolic'], sources, env: { SLEEPTIME_DATASETS_BASE_URL: `${server.baseUrl}/`, SLEEPTIME_DATASETS_CACHE_DIR: cacheDir } });
    expect(result.cacheDir).toBe(cacheDir);
    expect(result.downloadedFiles).toBe(server.requests.length);
    expect(loadGsmSymbolicTemplates('p2', cacheDir)).toHaveLength(2);
  });
});

describe('prepareDatasets', () => {
  it('uses a given folder, or SLEEPTIME_DATASETS_DIR, as it is: nothing is downloaded', async () => {
    const offline = `http://127.0.0.1:${await closedPort()}`;
    expect(await prepareDatasets({ datasets: ['aime'], datasetsDir: fixturesDir, baseUrl: offline, sources, env: { SLEEPTIME_DATASETS_DIR: '/elsewhere' } })).toEqual({
      datasetsDir: fixturesDir,
      from: 'option',
    });
    expect(await prepareDatasets({ datasets: ['aime'], baseUrl: offline, sources, env: { SLEEPTIME_DATASETS_DIR: fixturesDir } })).toEqual({ datasetsDir: fixturesDir, from: 'env' });
  });

  it('otherwise downloads into the cache and returns it as the datasets folder', async () => {
    const server = await serve();
    const cacheDir = emptyCache();
    const prepared = await prepareDatasets({ datasets: ['gsm-symbolic'], cacheDir, sources, env: { SLEEPTIME_DATASETS_DIR: ' ', SLEEPTIME_DATASETS_BASE_URL: server.baseUrl } });
    expect(prepared).toMatchObject({ datasetsDir: cacheDir, from: 'cache', download: { downloadedFiles: server.requests.length } });
    const instances = generateGsmSymbolic({ variant: 'p1', perTemplate: 2, seed: 1, datasetsDir: prepared.datasetsDir });
    expect(instances.map((instance) => instance.template)).toEqual(['p1/0000', 'p1/0000', 'p1/0001', 'p1/0001', 'p1/0002', 'p1/0002']);
  });
});

describeWithDatasets('downloadDatasets with the pinned manifest (the real files, served from the datasets folder)', (datasetsDir) => {
  it('fetches and verifies all 326 pinned files, which the loaders then read', async () => {
    const server = await startDatasetsServer({ sources: DATASET_SOURCES, datasetsDir });
    servers.push(server);
    const cacheDir = emptyCache();
    const result = await downloadDatasets({ datasets: ['gsm-symbolic', 'aime'], cacheDir, baseUrl: server.baseUrl });
    expect(result).toMatchObject({ downloadedFiles: 326, reusedFiles: 0 });
    expect(await loadAime({ datasetsDir: cacheDir })).toHaveLength(60);
    expect(loadGsmSymbolicTemplates('p2', cacheDir)).toHaveLength(50);
    expect(await downloadDatasets({ datasets: ['gsm-symbolic', 'aime'], cacheDir, baseUrl: server.baseUrl })).toMatchObject({ downloadedFiles: 0, reusedFiles: 326 });
  });
});
