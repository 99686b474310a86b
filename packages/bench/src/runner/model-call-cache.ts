/**
 * A content-addressed cache of model calls, as a LanguageModelV3 wrapper: every call the runner
 * makes (sleep-agent steps, asks, pass@k samples) goes through it, so a rerun of the same grid, or a
 * resumed one, makes no model call whose result it already has.
 *
 * - Key: sha256 of the canonical JSON of the model identity and the whole call: prompt, tools, tool
 *   choice and every setting (temperature, seed, maxOutputTokens, providerOptions...). Only the
 *   abort signal, the HTTP headers and `includeRawChunks` are left out: they do not change the
 *   answer. A field the AI SDK adds later is part of the key by default (a miss, never a wrong hit).
 * - Value: the full V3 result (content, finishReason, usage, warnings, providerMetadata, response
 *   id/model/timestamp) and how long the original call took, one JSON file per call at
 *   `<dir>/<first two hex digits>/<key>.json`, written to a temporary file, fsynced, then renamed, so
 *   a crash leaves either the whole entry or none. An unreadable entry counts as a miss.
 * - Identical calls in flight at the same time share one upstream call.
 * - Failures are not cached: a rerun tries them again.
 * - Streams are cached too (the parts, replayed on a hit), under keys distinct from generate calls.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import { systemError } from '@sleeptime/core';
import { writeFileAtomically } from '@sleeptime/core';
import { usageFromLanguageModelUsage } from '@sleeptime/core/internal';
import type { Usage } from '@sleeptime/core';
import { contentHash } from './canonical-json.js';

const entryVersion = 1;

/** One model call as seen by the caller: from the cache or made now. */
export interface ModelCallEvent {
  key: string;
  cached: boolean;
  /** Of the original call, for a cached one: the latency the row would have had. */
  durationMs: number;
  usage: Usage;
  finishReason: string;
  /** The provider's own finish reason (the llama model names its limits there: `time-limit`, `repetition`). */
  rawFinishReason?: string | undefined;
}

export interface ModelCallCacheStats {
  hits: number;
  misses: number;
  /** Calls that joined an identical call already in flight. */
  shared: number;
}

export interface ModelCallCache {
  readonly directory: string;
  readonly stats: Readonly<ModelCallCacheStats>;
  /**
   * The model behind the cache. `modelIdentity` names the model in the key (the model spec, or more
   * when one spec can mean different models, e.g. two servers); `onCall` hears of every call.
   */
  wrap(model: LanguageModelV3, options: { modelIdentity: string; onCall?: (event: ModelCallEvent) => void }): LanguageModelV3;
}

/** The key of a call: what the answer depends on, nothing else. */
export function modelCallKey(modelIdentity: string, mode: 'generate' | 'stream', params: LanguageModelV3CallOptions): string {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- left out on purpose, see the header
  const { abortSignal, headers, includeRawChunks, ...call } = params;
  return contentHash({ version: entryVersion, model: modelIdentity, mode, call });
}

// ---------------------------------------------------------------------------------------------------
// Serialization: JSON with tagged bytes and dates, which V3 results may hold (file parts, timestamps).

function replacer(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Date) return { $date: original.toISOString() };
  if (original instanceof Uint8Array) return { $bytes: Buffer.from(original).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const tagged = value as Record<string, unknown>;
    const keys = Object.keys(tagged);
    if (keys.length === 1 && typeof tagged.$date === 'string') return new Date(tagged.$date);
    if (keys.length === 1 && typeof tagged.$bytes === 'string') return new Uint8Array(Buffer.from(tagged.$bytes, 'base64'));
  }
  return value;
}

interface GenerateEntry {
  version: number;
  key: string;
  mode: 'generate';
  model: string;
  createdAt: string;
  durationMs: number;
  result: Pick<LanguageModelV3GenerateResult, 'content' | 'finishReason' | 'usage' | 'warnings' | 'providerMetadata' | 'response'>;
}

interface StreamEntry {
  version: number;
  key: string;
  mode: 'stream';
  model: string;
  createdAt: string;
  durationMs: number;
  parts: LanguageModelV3StreamPart[];
}

type CacheEntry = GenerateEntry | StreamEntry;

function entryPath(directory: string, key: string): string {
  return join(directory, key.slice(0, 2), `${key}.json`);
}

async function readEntry(directory: string, key: string): Promise<CacheEntry | undefined> {
  let text: string;
  try {
    text = await readFile(entryPath(directory, key), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw systemError('cache_read_failed', `Could not read the model-call cache entry ${entryPath(directory, key)}: ${(error as Error).message}`, error);
  }
  try {
    const entry = JSON.parse(text, reviver) as CacheEntry;
    // Anything else (another version, a damaged file) is a miss; the new entry will replace it.
    if (entry.version !== entryVersion || entry.key !== key) return undefined;
    if (entry.mode === 'generate' && Array.isArray(entry.result?.content)) return entry;
    if (entry.mode === 'stream' && Array.isArray(entry.parts)) return entry;
    return undefined;
  } catch {
    return undefined;
  }
}

async function writeEntry(directory: string, entry: CacheEntry): Promise<void> {
  const path = entryPath(directory, entry.key);
  try {
    // Flushed before it becomes visible: a power cut must not leave an empty entry.
    await writeFileAtomically(path, JSON.stringify(entry, replacer));
  } catch (error) {
    throw systemError('cache_write_failed', `Could not write the model-call cache entry ${path}: ${(error as Error).message}`, error);
  }
}

function finishReasonOf(result: { finishReason: LanguageModelV3GenerateResult['finishReason'] }): { unified: string; raw: string | undefined } {
  return { unified: result.finishReason.unified, raw: result.finishReason.raw };
}

function replayStream(parts: readonly LanguageModelV3StreamPart[]): ReadableStream<LanguageModelV3StreamPart> {
  return new ReadableStream<LanguageModelV3StreamPart>({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}

export function createModelCallCache(options: { directory: string; now?: () => number }): ModelCallCache {
  const { directory } = options;
  const now = options.now ?? Date.now;
  const stats: ModelCallCacheStats = { hits: 0, misses: 0, shared: 0 };
  const inFlight = new Map<string, Promise<GenerateEntry>>();

  async function generate(key: string, modelIdentity: string, call: () => PromiseLike<LanguageModelV3GenerateResult>): Promise<{ entry: GenerateEntry; cached: boolean }> {
    const pending = inFlight.get(key);
    if (pending !== undefined) {
      stats.shared += 1;
      return { entry: await pending, cached: true };
    }
    const work = (async (): Promise<{ entry: GenerateEntry; cached: boolean }> => {
      const stored = await readEntry(directory, key);
      if (stored?.mode === 'generate') {
        stats.hits += 1;
        return { entry: stored, cached: true };
      }
      stats.misses += 1;
      const startedAt = now();
      const result = await call();
      const entry: GenerateEntry = {
        version: entryVersion,
        key,
        mode: 'generate',
        model: modelIdentity,
        createdAt: new Date().toISOString(),
        durationMs: Math.max(0, now() - startedAt),
        result: {
          content: result.content,
          finishReason: result.finishReason,
          usage: result.usage,
          warnings: result.warnings,
          ...(result.providerMetadata === undefined ? {} : { providerMetadata: result.providerMetadata }),
          ...(result.response === undefined
            ? {}
            : { response: { id: result.response.id, modelId: result.response.modelId, timestamp: result.response.timestamp } }),
        },
      };
      await writeEntry(directory, entry);
      return { entry, cached: false };
    })();
    const entryPromise = work.then((outcome) => outcome.entry);
    // Joiners handle their own rejection; this copy only must not be reported as unhandled.
    entryPromise.catch(() => {});
    inFlight.set(key, entryPromise);
    try {
      return await work;
    } finally {
      inFlight.delete(key);
    }
  }

  return {
    directory,
    stats,
    wrap(model, wrapOptions) {
      const { modelIdentity, onCall } = wrapOptions;
      const report = (key: string, cached: boolean, durationMs: number, usage: LanguageModelV3Usage, finishReason: { unified: string; raw: string | undefined }) => {
        onCall?.({ key, cached, durationMs, usage: usageFromLanguageModelUsage(usage), finishReason: finishReason.unified, rawFinishReason: finishReason.raw });
      };
      return wrapLanguageModel({
        model,
        middleware: {
          specificationVersion: 'v3',
          wrapGenerate: async ({ doGenerate, params }) => {
            const key = modelCallKey(modelIdentity, 'generate', params);
            const { entry, cached } = await generate(key, modelIdentity, doGenerate);
            report(key, cached, entry.durationMs, entry.result.usage, finishReasonOf(entry.result));
            return { ...entry.result, warnings: entry.result.warnings ?? [] };
          },
          wrapStream: async ({ doStream, params }): Promise<LanguageModelV3StreamResult> => {
            const key = modelCallKey(modelIdentity, 'stream', params);
            const stored = await readEntry(directory, key);
            if (stored?.mode === 'stream') {
              stats.hits += 1;
              const finish = stored.parts.find((part) => part.type === 'finish');
              if (finish?.type === 'finish') report(key, true, stored.durationMs, finish.usage, finishReasonOf(finish));
              return { stream: replayStream(stored.parts) };
            }
            stats.misses += 1;
            const startedAt = now();
            const result = await doStream();
            const parts: LanguageModelV3StreamPart[] = [];
            let failed = false;
            const recorder = new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
              transform(part, controller) {
                if (part.type === 'error') failed = true;
                // Raw chunks are only sent on request, which is not part of the key.
                else if (part.type !== 'raw') parts.push(part);
                controller.enqueue(part);
              },
              async flush() {
                const finish = parts.find((part) => part.type === 'finish');
                if (failed || finish?.type !== 'finish') return;
                const durationMs = Math.max(0, now() - startedAt);
                await writeEntry(directory, {
                  version: entryVersion,
                  key,
                  mode: 'stream',
                  model: modelIdentity,
                  createdAt: new Date().toISOString(),
                  durationMs,
                  parts,
                });
                report(key, false, durationMs, finish.usage, finishReasonOf(finish));
              },
            });
            return { ...result, stream: result.stream.pipeThrough(recorder) };
          },
        },
      });
    },
  };
}
