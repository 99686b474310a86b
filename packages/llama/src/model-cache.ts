/**
 * The folder downloaded GGUF models are kept in (`sleeptime models list | pull | rm | path`): which
 * files it holds, where a model spec resolves to, downloads into it, removals from it.
 *
 * File names are node-llama-cpp's (an `hf:` URI maps to a fixed name, a URL to its file name), so a
 * file listed here is the one `createModel('llama:...')` loads. Each model's SHA-256 is kept beside
 * it as `<file>.sha256` in `sha256sum` format (so `sha256sum -c` checks it too); it counts only
 * while it is newer than the model file, since hashing a 1 GB file takes seconds.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveModelFile } from 'node-llama-cpp';
import { z } from 'zod';
import { PROVIDER_KINDS, errorMessage, parseModelSpec, systemError, userError, writeFileAtomically, type DownloadProgress } from '@sleeptime/core';
import { checkGgufMagic, downloadModel } from './load-llama-model.js';

const REMOTE_SOURCE = /^(hf:|huggingface:|https?:\/\/)/i;
const PARTIAL_SUFFIX = '.ipull'; // node-llama-cpp's downloader (ipull) resumes from these
const SHA256_SUFFIX = '.sha256';

export interface CachedModelFile {
  /** The file's name in the cache folder: what `sleeptime models rm` takes. */
  name: string;
  path: string;
  sizeBytes: number;
  modifiedAt: Date;
  /** A download in progress or interrupted (the next download of the same model resumes it). */
  partial: boolean;
  /** Null for partial files, and for files not hashed yet when hashing was not asked for. */
  sha256: string | null;
}

/** `cached`: only hashes kept beside the files; `missing`: compute the ones not kept; `all`: recompute every hash. */
export type Sha256Mode = 'cached' | 'missing' | 'all';

/** The model files in `cacheDir`, by name; an absent folder holds none. */
export async function listCachedModels(cacheDir: string, options: { sha256?: Sha256Mode } = {}): Promise<CachedModelFile[]> {
  let names: string[];
  try {
    names = (await readdir(cacheDir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw systemError('model_cache_unreadable', `cannot read the model folder ${cacheDir}: ${errorMessage(error)}`, error);
  }
  const modelNames = names.filter(isModelFileName).sort();
  const files: CachedModelFile[] = [];
  for (const name of modelNames) {
    const filePath = path.join(cacheDir, name);
    const stats = await stat(filePath);
    const partial = name.endsWith(PARTIAL_SUFFIX);
    let sha256: string | null = null;
    if (!partial) {
      const mode = options.sha256 ?? 'cached';
      sha256 = mode === 'all' ? null : await keptSha256(filePath, stats.mtimeMs);
      if (sha256 === null && mode !== 'cached') sha256 = await hashAndKeep(filePath);
    }
    files.push({ name, path: filePath, sizeBytes: stats.size, modifiedAt: stats.mtime, partial, sha256 });
  }
  return files;
}

function isModelFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith('.gguf') || lower.endsWith(`.gguf${PARTIAL_SUFFIX}`);
}

/** The SHA-256 of a model file, from the kept `.sha256` file when it is still valid, else computed (and kept). */
export async function modelFileSha256(filePath: string): Promise<string> {
  const stats = await stat(filePath);
  return (await keptSha256(filePath, stats.mtimeMs)) ?? hashAndKeep(filePath);
}

async function keptSha256(filePath: string, modelModifiedMs: number): Promise<string | null> {
  const sidecar = `${filePath}${SHA256_SUFFIX}`;
  try {
    // A model file rewritten after its hash was kept (a new download) makes the hash stale.
    if ((await stat(sidecar)).mtimeMs < modelModifiedMs) return null;
    return /^([0-9a-f]{64}) /.exec(await readFile(sidecar, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

async function hashAndKeep(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 2 ** 20 })) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  // A read-only cache folder still lists; the hash is just computed again next time.
  await writeFileAtomically(`${filePath}${SHA256_SUFFIX}`, `${sha256}  ${path.basename(filePath)}\n`).catch(() => {});
  return sha256;
}

/**
 * The llama source a spec names: `llama:<source>`, or the source alone (`hf:...`, an http(s) URL, a
 * path to a `.gguf` file). Specs of other providers name no file and are refused.
 */
export function llamaSourceOf(spec: string): string {
  const trimmed = spec.trim();
  const prefix = trimmed.slice(0, Math.max(0, trimmed.indexOf(':'))).toLowerCase();
  const isProviderSpec = (PROVIDER_KINDS as readonly string[]).includes(prefix);
  const { provider, modelId } = parseModelSpec(isProviderSpec ? trimmed : `llama:${trimmed}`);
  if (provider !== 'llama')
    throw userError('not_a_local_model', `${trimmed} is served by the ${provider} provider: only llama: models are files on this machine`, {
      spec: trimmed,
    });
  return modelId;
}

export interface LocatedModel {
  source: string;
  /** Downloaded into the cache (hf:, http(s)) rather than a file named by its path. */
  remote: boolean;
  /** Where the file is or, if it is not there yet, would be (unknown for `hf:user/repo:quant` URIs, whose name comes from the hub). */
  path: string | undefined;
  exists: boolean;
}

/** Where a llama source's file is, without touching the network. */
export async function locateModel(source: string, cacheDir: string): Promise<LocatedModel> {
  if (!REMOTE_SOURCE.test(source)) {
    const filePath = path.resolve(source.startsWith('file:') ? fileURLToPath(source) : source);
    return { source, remote: false, path: filePath, exists: await isFile(filePath) };
  }
  try {
    const found = await resolveModelFile(source, { directory: cacheDir, download: false, cli: false });
    return { source, remote: true, path: found, exists: true };
  } catch (error) {
    // node-llama-cpp names the file it looked for only in this message; a changed wording just loses the hint.
    const expected = /^No model file found at "(.+)" and download is disabled$/.exec(errorMessage(error))?.[1];
    if (expected !== undefined) return { source, remote: true, path: expected, exists: false };
  }
  if (/^https?:\/\//i.test(source)) {
    // A plain URL's file keeps the URL's file name (unless its server names it otherwise).
    const name = decodeURIComponent(new URL(source).pathname.split('/').pop() ?? '');
    if (name !== '') {
      const filePath = path.join(cacheDir, name);
      return { source, remote: true, path: filePath, exists: await isFile(filePath) };
    }
  }
  return { source, remote: true, path: undefined, exists: false };
}

async function isFile(filePath: string): Promise<boolean> {
  return (await stat(filePath).catch(() => undefined))?.isFile() === true;
}

export interface PulledModel {
  source: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  /** False when the model was already in the cache (nothing was fetched). */
  downloaded: boolean;
}

export interface PullModelOptions {
  /** Draw node-llama-cpp's download as a progress bar on stderr. */
  showProgress?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

/**
 * Downloads a remote llama source (`hf:` URI or http(s) URL) into `cacheDir` as `createModel` would,
 * unless it is there already, and returns its file with its SHA-256.
 */
export async function pullModel(source: string, cacheDir: string, options: PullModelOptions = {}): Promise<PulledModel> {
  const located = await locateModel(source, cacheDir);
  if (!located.remote)
    throw userError('not_a_remote_model', `${source} is a file path, not something to download: models pull takes an hf: URI or an http(s) URL`, {
      source,
    });
  let filePath = located.exists ? located.path : undefined;
  const downloaded = filePath === undefined;
  if (filePath === undefined) {
    filePath = await downloadModel({
      source,
      cacheDir,
      ...(options.showProgress === undefined ? {} : { showProgress: options.showProgress }),
      ...(options.onProgress === undefined ? {} : { onDownloadProgress: options.onProgress }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    try {
      await checkGgufMagic(filePath);
    } catch (error) {
      // Left in place, the file would be found again and fail every later load.
      await rm(filePath, { force: true });
      throw error;
    }
  }
  const [stats, sha256] = await Promise.all([stat(filePath), downloaded ? hashAndKeep(filePath) : modelFileSha256(filePath)]);
  return { source, path: filePath, sizeBytes: stats.size, sha256, downloaded };
}

const fileNameSchema = z
  .string()
  .min(1)
  .refine((name) => name !== '.' && name !== '..' && !/[/\\\0]/.test(name));

export interface RemovedModel {
  name: string;
  path: string;
  sizeBytes: number;
}

/**
 * Removes one model file of `cacheDir` (with its kept hash), named as `listCachedModels` names it
 * or by the remote source it was downloaded from. Anything outside the folder is refused.
 */
export async function removeCachedModel(cacheDir: string, nameOrSource: string): Promise<RemovedModel> {
  let name = nameOrSource;
  if (REMOTE_SOURCE.test(nameOrSource) || /^llama:/i.test(nameOrSource)) {
    const located = await locateModel(llamaSourceOf(nameOrSource), cacheDir);
    if (!located.remote || located.path === undefined || path.dirname(path.resolve(located.path)) !== path.resolve(cacheDir))
      throw userError('invalid_model_name', `${nameOrSource} is not a model of the cache folder ${cacheDir}: sleeptime removes only files it downloaded`, {
        name: nameOrSource,
        cacheDir,
      });
    name = path.basename(located.path);
  } else if (!fileNameSchema.safeParse(name).success) {
    throw userError('invalid_model_name', `${JSON.stringify(name)} is not a file name in the model folder ${cacheDir} (sleeptime models list shows them)`, {
      name,
      cacheDir,
    });
  }
  const filePath = path.join(cacheDir, name);
  const stats = isModelFileName(name) ? await stat(filePath).catch(() => undefined) : undefined;
  if (stats === undefined || !stats.isFile())
    throw userError('model_not_found', `no model named ${JSON.stringify(name)} in ${cacheDir} (sleeptime models list shows them)`, { name, cacheDir });
  await rm(filePath);
  await rm(`${filePath}${SHA256_SUFFIX}`, { force: true });
  return { name, path: filePath, sizeBytes: stats.size };
}
