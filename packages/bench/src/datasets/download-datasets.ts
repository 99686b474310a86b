/**
 * The benchmark data for people who do not have a datasets folder: the pinned files of
 * `datasets-manifest.ts` fetched one by one from their public repositories
 * (`<base URL>/<owner>/<repo>/<commit>/<path>`, raw.githubusercontent.com by default) into the
 * download cache, each checked against its SHA-256 before it is kept.
 *
 * - Resumable: a file already in the cache with the right hash is not fetched again, so an
 *   interrupted download continues where it stopped, and a second run makes no request at all.
 * - Nothing half-written: a file is verified in memory, then written under a temporary name and
 *   renamed into place (`writeFileAtomically`); a file that fails its check is never written.
 * - Bounded: at most `concurrency` requests at once, each with a timeout; timeouts, resets and 5xx
 *   answers are retried a few times with backoff, a refused connection or a failed DNS lookup
 *   (offline) and a 4xx answer are not.
 * - Failures are one line: `dataset_download_failed` (offline, HTTP error, timeout) and
 *   `dataset_checksum_mismatch`, both in the `upstream` category.
 * - Exact: the cache's `<dataset>/` folder holds the pinned files and nothing else (a file left by
 *   another pin is removed), since the loaders read every template in a folder.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { SleeptimeError, systemError, upstreamError, writeFileAtomically } from '@sleeptime/core';
import { DATASETS_DIR_ENV, defaultDatasetsCacheDir } from './datasets-dir.js';
import { DATASET_SOURCES, type DatasetFile, type DatasetName, type DatasetSource } from './datasets-manifest.js';

export const DATASETS_BASE_URL_ENV = 'SLEEPTIME_DATASETS_BASE_URL';
export const DEFAULT_DATASETS_BASE_URL = 'https://raw.githubusercontent.com';
export const DEFAULT_DOWNLOAD_CONCURRENCY = 8;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;
export const DEFAULT_DOWNLOAD_RETRIES = 2;

export interface DatasetDownloadProgress {
  dataset: DatasetName;
  source: DatasetSource;
  /** Files of this dataset to fetch (those not already in the cache with the right hash). */
  totalFiles: number;
  doneFiles: number;
  totalBytes: number;
  doneBytes: number;
  /** The file just fetched (its path under `<dataset>/`); undefined on the first event, before any. */
  file?: string;
  /** Where the dataset goes: `<cache>/<dataset>`. */
  folder: string;
}

export interface DownloadDatasetsOptions {
  datasets: readonly DatasetName[];
  /** Default: {@link defaultDatasetsCacheDir}. */
  cacheDir?: string;
  /** Default: SLEEPTIME_DATASETS_BASE_URL, else https://raw.githubusercontent.com. */
  baseUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** Requests in flight at once; default 8. */
  concurrency?: number;
  /** For one request, body included; default 60 s. */
  timeoutMs?: number;
  /** Extra attempts after a timeout, a reset connection or a 5xx/429 answer; default 2. */
  retries?: number;
  /** Called once before the first file of a dataset that needs fetching, then after each file. */
  onProgress?: (progress: DatasetDownloadProgress) => void;
  /** Default: the pinned sources of datasets-manifest.ts. */
  sources?: readonly DatasetSource[];
}

export interface DownloadDatasetsResult {
  cacheDir: string;
  downloadedFiles: number;
  downloadedBytes: number;
  /** Files that were already in the cache with the right hash. */
  reusedFiles: number;
  /** Files in the cache's dataset folders that the manifest does not list, removed. */
  removedFiles: number;
}

/** The URL a pinned file is fetched from. */
export function datasetFileUrl(source: DatasetSource, file: DatasetFile, baseUrl: string = DEFAULT_DATASETS_BASE_URL): string {
  const remotePath = file.from ?? (source.remoteFolder === '' ? file.path : `${source.remoteFolder}/${file.path}`);
  const segments = [...source.repository.split('/'), source.commit, ...remotePath.split('/')];
  return `${baseUrl.replace(/\/+$/, '')}/${segments.map(encodeURIComponent).join('/')}`;
}

/** `apple/ml-gsm-symbolic@b6a1625`. */
export function describeSource(source: DatasetSource): string {
  return `${source.repository}@${source.commit.slice(0, 7)}`;
}

/**
 * Makes the cache hold the pinned files of `datasets`, fetching those missing or wrong. Fails with
 * one line on the first file that cannot be had; the files verified before it stay in the cache.
 */
export async function downloadDatasets(options: DownloadDatasetsOptions): Promise<DownloadDatasetsResult> {
  const env = options.env ?? process.env;
  const cacheDir = resolve(options.cacheDir ?? defaultDatasetsCacheDir(env));
  const baseUrl = options.baseUrl?.trim() || env[DATASETS_BASE_URL_ENV]?.trim() || DEFAULT_DATASETS_BASE_URL;
  const sources = (options.sources ?? DATASET_SOURCES).filter((source) => options.datasets.includes(source.dataset));
  const result: DownloadDatasetsResult = { cacheDir, downloadedFiles: 0, downloadedBytes: 0, reusedFiles: 0, removedFiles: 0 };
  for (const source of sources) {
    const folder = join(cacheDir, source.dataset);
    const missing: DatasetFile[] = [];
    for (const file of source.files) {
      if (await holdsPinnedFile(join(folder, ...file.path.split('/')), file)) result.reusedFiles += 1;
      else missing.push(file);
    }
    if (missing.length > 0) {
      const fetched = await fetchFiles(source, missing, folder, {
        baseUrl,
        concurrency: Math.max(1, options.concurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY),
        timeoutMs: options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
        retries: Math.max(0, options.retries ?? DEFAULT_DOWNLOAD_RETRIES),
        onProgress: options.onProgress,
      });
      result.downloadedFiles += fetched.files;
      result.downloadedBytes += fetched.bytes;
    }
    result.removedFiles += await removeUnlisted(folder, source);
  }
  return result;
}

export interface PrepareDatasetsOptions extends Omit<DownloadDatasetsOptions, 'cacheDir'> {
  /** A datasets folder to use as it is (nothing is downloaded or checked). */
  datasetsDir?: string;
  /** Where to download to when no folder is given; default {@link defaultDatasetsCacheDir}. */
  cacheDir?: string;
}

export interface PreparedDatasets {
  /** The folder holding `gsm-symbolic/` and `aime/`, for the loaders' `datasetsDir`. */
  datasetsDir: string;
  /** `option`: `datasetsDir` was given; `env`: SLEEPTIME_DATASETS_DIR; `cache`: the download cache. */
  from: 'option' | 'env' | 'cache';
  /** Set when the cache was used. */
  download?: DownloadDatasetsResult;
}

/**
 * The datasets folder for `datasets`: `datasetsDir` if given, else SLEEPTIME_DATASETS_DIR (both
 * used as they are), else the download cache, filled first by {@link downloadDatasets}.
 */
export async function prepareDatasets(options: PrepareDatasetsOptions): Promise<PreparedDatasets> {
  const env = options.env ?? process.env;
  const explicit = options.datasetsDir?.trim();
  if (explicit) return { datasetsDir: resolve(explicit), from: 'option' };
  const fromEnv = env[DATASETS_DIR_ENV]?.trim();
  if (fromEnv) return { datasetsDir: resolve(fromEnv), from: 'env' };
  const download = await downloadDatasets(options);
  return { datasetsDir: download.cacheDir, from: 'cache', download };
}

async function holdsPinnedFile(path: string, file: DatasetFile): Promise<boolean> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return false;
  }
  return bytes.length === file.bytes && sha256(bytes) === file.sha256;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface FetchSettings {
  baseUrl: string;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  onProgress: ((progress: DatasetDownloadProgress) => void) | undefined;
}

/** Fetches `files` with at most `concurrency` in flight; the first failure stops the rest. */
async function fetchFiles(source: DatasetSource, files: readonly DatasetFile[], folder: string, settings: FetchSettings): Promise<{ files: number; bytes: number }> {
  const progress: DatasetDownloadProgress = {
    dataset: source.dataset,
    source,
    totalFiles: files.length,
    doneFiles: 0,
    totalBytes: files.reduce((sum, file) => sum + file.bytes, 0),
    doneBytes: 0,
    folder,
  };
  settings.onProgress?.({ ...progress });
  // Aborts the requests in flight once one file has failed: its error is the one reported.
  const stop = new AbortController();
  let failure: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < files.length) {
      const file = files[next] as DatasetFile;
      next += 1;
      try {
        const bytes = await fetchVerified(source, file, settings, stop.signal);
        await writeToCache(join(folder, ...file.path.split('/')), bytes);
        progress.doneFiles += 1;
        progress.doneBytes += bytes.length;
        settings.onProgress?.({ ...progress, file: file.path });
      } catch (error) {
        if (failure === undefined) {
          failure = error;
          stop.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, files.length) }, worker));
  if (failure !== undefined) throw failure;
  return { files: progress.doneFiles, bytes: progress.doneBytes };
}

async function writeToCache(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomically(path, bytes);
  } catch (error) {
    throw systemError('dataset_cache_failed', `Could not write ${path} into the datasets cache: ${oneLine(error)}`, error);
  }
}

/** Connection failures that mean "offline" (or a wrong host): retrying would not help. */
const offlineCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

async function fetchVerified(source: DatasetSource, file: DatasetFile, settings: FetchSettings, stop: AbortSignal): Promise<Uint8Array> {
  const url = datasetFileUrl(source, file, settings.baseUrl);
  const fail = (reason: string, details: Record<string, unknown> = {}, cause?: unknown) =>
    upstreamError(
      'dataset_download_failed',
      `Could not download the ${source.title} (${describeSource(source)}): ${url} ${reason}. ` +
        `Check the network, or pass --datasets-dir (or SLEEPTIME_DATASETS_DIR) with a local copy.`,
      { cause, details: { url, dataset: source.dataset, path: file.path, ...details } },
    );
  for (let attempt = 0; ; attempt += 1) {
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    let retryable: SleeptimeError;
    try {
      const response = await fetch(url, { signal: AbortSignal.any([stop, timeout]), redirect: 'follow' });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        const error = fail(`answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, { status: response.status });
        if (response.status < 500 && response.status !== 429) throw error;
        retryable = error;
      } else {
        const bytes = new Uint8Array(await response.arrayBuffer());
        const actual = sha256(bytes);
        if (actual !== file.sha256 || bytes.length !== file.bytes) {
          throw upstreamError(
            'dataset_checksum_mismatch',
            `${url} does not match its pinned SHA-256 (expected ${file.sha256.slice(0, 12)}... for ${file.bytes} bytes, ` +
              `got ${actual.slice(0, 12)}... for ${bytes.length} bytes); it was not kept. ` +
              `The download was altered or the source changed; pass --datasets-dir (or SLEEPTIME_DATASETS_DIR) with a verified copy.`,
            { details: { url, dataset: source.dataset, path: file.path, expectedSha256: file.sha256, actualSha256: actual, expectedBytes: file.bytes, actualBytes: bytes.length } },
          );
        }
        return bytes;
      }
    } catch (error) {
      if (SleeptimeError.isInstance(error)) throw error;
      if (stop.aborted) throw error; // another file failed first; its error is reported
      if (timeout.aborted) {
        retryable = fail(`did not answer within ${formatSeconds(settings.timeoutMs)}`, { timeoutMs: settings.timeoutMs }, error);
      } else {
        const code = networkErrorCode(error);
        const cause = (error as { cause?: unknown }).cause;
        const reason = `failed (${(cause === undefined ? '' : oneLine(cause)) || code || oneLine(error)})`;
        if (code !== undefined && offlineCodes.has(code)) throw fail(reason, { code }, error);
        retryable = fail(reason, code === undefined ? {} : { code }, error);
      }
    }
    if (attempt >= settings.retries) throw retryable;
    await delay(300 * 2 ** attempt, stop);
  }
}

/** The system error code behind a failed fetch (`fetch failed` wraps it in `cause`). */
function networkErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim();
}

function formatSeconds(milliseconds: number): string {
  return milliseconds % 1000 === 0 ? `${milliseconds / 1000} s` : `${(milliseconds / 1000).toFixed(1)} s`;
}

function delay(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolvePromise) => {
    const timer = setTimeout(resolvePromise, milliseconds);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolvePromise();
    }, { once: true });
  });
}

/**
 * Removes files under `<cache>/<dataset>` that the manifest does not list (left by another pin),
 * except temporary files of writes in progress.
 */
async function removeUnlisted(folder: string, source: DatasetSource): Promise<number> {
  const listed = new Set(source.files.map((file) => file.path));
  let entries;
  try {
    entries = await readdir(folder, { recursive: true, withFileTypes: true });
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.endsWith('.tmp')) continue;
    const path = join(entry.parentPath, entry.name);
    if (listed.has(relative(folder, path).split(sep).join('/'))) continue;
    await rm(path, { force: true });
    removed += 1;
  }
  return removed;
}
