/** Finds, downloads, checks and loads a GGUF model (the heavy half of index.ts). */
import { mkdir, open, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { InsufficientMemoryError, resolveModelFile, type LlamaModel } from 'node-llama-cpp';
import { SleeptimeError, provenanceFromGgufMetadata, systemError, upstreamError, userError, errorMessage } from '@sleeptime/core';
import type { CreateLlamaModelOptions, LlamaModelHandle } from './index.js';
import { LlamaLanguageModel } from './llama-language-model.js';
import { PrefixStateCache } from './prefix-state-cache.js';
import { getLlamaRuntime, llamaLogMark, llamaLogSince } from './llama-runtime.js';

const REMOTE_SOURCE = /^(hf:|huggingface:|https?:\/\/)/i;
const GGUF_MAGIC = 'GGUF';
const REACHABILITY_TIMEOUT_MS = 15_000;

export const HOW_TO_POINT_AT_A_MODEL =
  'Point sleeptime at a model you have: --model llama:/path/to/model.gguf, ' +
  'or at a server: --model openai-compatible:<name> --base-url http://host:port/v1';

export async function loadLlamaModel(options: CreateLlamaModelOptions): Promise<LlamaModelHandle> {
  for (const [name, value] of [['contextSize', options.contextSize], ['threads', options.threads]] as const)
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
      throw userError(`invalid_${name === 'contextSize' ? 'context_size' : 'threads'}`, `${name} must be a positive integer, got ${value}`);
  if (options.callTimeLimitMs !== undefined && (!Number.isSafeInteger(options.callTimeLimitMs) || options.callTimeLimitMs < 0))
    throw userError('invalid_call_time_limit', `callTimeLimitMs must be a whole number of milliseconds (0 for none), got ${options.callTimeLimitMs}`);
  const modelPath = REMOTE_SOURCE.test(options.source) ? await downloadModel(options) : await localModelPath(options.source);
  await checkGgufMagic(modelPath);
  const llama = await getLlamaRuntime();
  let model: LlamaModel;
  const logMark = llamaLogMark();
  try {
    model = await llama.loadModel({ modelPath });
  } catch (error) {
    if (error instanceof InsufficientMemoryError)
      throw systemError('insufficient_memory', `Not enough memory to load ${modelPath}: ${error.message}`, error);
    throw invalidModelFile(modelPath, errorMessage(error), error, llamaLogSince(logMark));
  }
  const languageModel = new LlamaLanguageModel({
    modelId: options.source,
    model,
    modelPath,
    ...(options.contextSize === undefined ? {} : { contextSize: options.contextSize }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.callTimeLimitMs === undefined ? {} : { callTimeLimitMs: options.callTimeLimitMs }),
    ...(options.prefixStateCache === undefined ? {} : { prefixStateCache: new PrefixStateCache(options.prefixStateCache) }),
  });
  let closing: Promise<void> | undefined;
  return {
    languageModel,
    modelPath,
    // The test GGUF writer marks its files; anything else is taken to hold real weights.
    provenance: provenanceFromGgufMetadata(model.fileInfo.metadata),
    warmPrefix: (systemMessage, warmOptions) => languageModel.warmPrefix(systemMessage, warmOptions),
    close: () =>
      (closing ??= (async () => {
        await languageModel.dispose();
        await model.dispose();
      })()),
  };
}

async function localModelPath(source: string): Promise<string> {
  const path = resolvePath(source.startsWith('file:') ? fileURLToPath(source) : source);
  const stats = await stat(path).catch(() => undefined);
  if (stats === undefined || !stats.isFile())
    throw userError('model_file_not_found', `No model file at ${path}. ${HOW_TO_POINT_AT_A_MODEL}`, { path });
  return path;
}

export async function downloadModel(options: CreateLlamaModelOptions): Promise<string> {
  const { source, cacheDir } = options;
  const endpoints = options.huggingFaceEndpoint === undefined ? undefined : { huggingFace: options.huggingFaceEndpoint };
  // A model downloaded before loads offline: look in the cache without touching the network.
  const cached = await resolveModelFile(source, { directory: cacheDir, download: false, cli: false, endpoints }).catch(() => undefined);
  if (cached !== undefined) return cached;

  let progressBar: cliProgress.SingleBar | undefined;
  try {
    await mkdir(cacheDir, { recursive: true });
    // node-llama-cpp's downloader retries a dead connection for minutes and cannot be cancelled
    // before the download starts, so an unreachable server is detected here first.
    await checkServerReachable(downloadOrigin(source, options.huggingFaceEndpoint), options.signal);
    return await resolveModelFile(source, {
      directory: cacheDir,
      // node-llama-cpp's own progress output goes to stdout, which `--json` keeps for the result.
      cli: false,
      endpoints,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onProgress: ({ totalSize, downloadedSize }) => {
        options.onDownloadProgress?.({ downloadedBytes: downloadedSize, totalBytes: totalSize });
        if (options.showProgress !== true) return;
        // Created on the first progress event, so a model found in the cache draws nothing.
        if (progressBar === undefined) {
          progressBar = new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: `Downloading ${source} [{bar}] {percentage}% | {value}/{total} MB | ETA {eta_formatted}`,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          progressBar.start(toMegabytes(totalSize), 0);
        }
        progressBar.setTotal(toMegabytes(totalSize));
        progressBar.update(toMegabytes(downloadedSize));
      },
    });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw upstreamError('model_download_failed', `Could not download the model ${source}: ${errorMessage(error)}. ${HOW_TO_POINT_AT_A_MODEL}`, {
      cause: error,
      details: { source, cacheDir },
    });
  } finally {
    progressBar?.stop();
  }
}

/** Where a remote source is fetched from: the Hugging Face endpoint (as node-llama-cpp picks it) or the URL's origin. */
function downloadOrigin(source: string, huggingFaceEndpoint: string | undefined): string {
  if (/^https?:\/\//i.test(source)) return new URL(source).origin;
  return huggingFaceEndpoint ?? process.env.MODEL_ENDPOINT ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co/';
}

async function checkServerReachable(origin: string, signal: AbortSignal | undefined): Promise<void> {
  const timeout = AbortSignal.timeout(REACHABILITY_TIMEOUT_MS);
  try {
    // Any HTTP answer will do (even 404): the point is that the server can be reached at all.
    const response = await fetch(origin, { method: 'HEAD', signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) });
    await response.body?.cancel();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const networkCode = (error as { cause?: { code?: unknown } }).cause?.code;
    const reason = timeout.aborted
      ? `no answer within ${REACHABILITY_TIMEOUT_MS / 1000} s`
      : `${errorMessage(error)}${typeof networkCode === 'string' ? `: ${networkCode}` : ''}`;
    throw new Error(`${origin} cannot be reached (${reason})`, { cause: error });
  }
}

export async function checkGgufMagic(path: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    const { bytesRead } = await file.read(magic, 0, 4, 0);
    if (bytesRead < 4 || magic.toString('latin1') !== GGUF_MAGIC)
      throw invalidModelFile(path, 'it does not start with the GGUF signature');
  } finally {
    await file.close();
  }
}

function invalidModelFile(path: string, reason: string, cause?: unknown, llamaLog: string[] = []): SleeptimeError {
  return new SleeptimeError({
    code: 'invalid_model_file',
    category: 'user',
    message: `${path} is not a usable GGUF model file: ${reason}. ${HOW_TO_POINT_AT_A_MODEL}`,
    cause,
    details: { path, ...(llamaLog.length > 0 ? { llamaLog } : {}) },
  });
}

function toMegabytes(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}
