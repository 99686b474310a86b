/**
 * Repositories as contexts: `sleeptime context put NAME --repo PATH [--ref REF]` renders a commit
 * of a repository (its tree, README head and recent pull requests: renderRepositoryContext) and
 * puts it with `metadata.repository = { path, ref, commit }`, which makes the engine's sleeps on it
 * explore a worktree of that commit; `sleeptime watch NAME` keeps it current as commits arrive.
 *
 * Like a write over HTTP, a put that changes the context enqueues the context's quiet-period sleep
 * job in the store (one pending job per context: a burst of commits moves it later), which a
 * `sleeptime serve` or `sleeptime worker` on the same store runs; `watch --sleep` sleeps in its own
 * process instead. `@sleeptime/core/repository` (which loads the AI SDK) and the service load here,
 * lazily, never on the CLI's start-up path.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { repositoryMetadataKey, repositoryOfMetadata, userError, errorMessage, type ContextRecord, type RepositoryMetadata } from '@sleeptime/core';
import type { Runtime } from './runtime.js';

/** How often `watch` asks git where the ref points (default 5 s). */
export const defaultWatchIntervalMs = 5000;

export interface RepositoryPutOptions {
  id: string;
  /** A folder in the repository. */
  repository: string;
  /** Default `HEAD`. */
  ref?: string | undefined;
  /** Other metadata to store beside `repository`. */
  metadata?: Record<string, unknown> | undefined;
  /** Enqueue the quiet-period sleep job after a write (default true). */
  enqueueSleep?: boolean;
  /** The quiet period of that job (default the service's, 30 s). */
  quietPeriodMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface RepositoryPutResult {
  id: string;
  version: number;
  repository: RepositoryMetadata;
  characters: number;
  /** False when the context already held this commit's rendering: nothing was written. */
  written: boolean;
  /** The quiet-period sleep job, when one was enqueued. */
  sleepJob: { id: string; runAfter: string } | null;
}

/** Renders the repository at `ref` and puts it, unless the context already holds exactly that. */
export async function putRepositoryContext(runtime: Runtime, options: RepositoryPutOptions): Promise<RepositoryPutResult> {
  if (options.metadata !== undefined && Object.hasOwn(options.metadata, repositoryMetadataKey)) {
    throw userError('invalid_option', `--metadata must not set "${repositoryMetadataKey}" beside --repo: --repo writes it`);
  }
  const { renderRepositoryContext } = await import('@sleeptime/core/repository');
  const rendering = await renderRepositoryContext({ repository: options.repository, ...(options.ref === undefined ? {} : { ref: options.ref }), ...(options.signal === undefined ? {} : { signal: options.signal }) });
  const repository: RepositoryMetadata = { path: rendering.repository, ref: rendering.ref, commit: rendering.commit };
  const metadata = { ...options.metadata, [repositoryMetadataKey]: repository };

  const existing = await existingContext(runtime, options.id);
  if (existing !== undefined && existing.text === rendering.text && JSON.stringify(existing.metadata) === JSON.stringify(metadata)) {
    return { id: existing.id, version: existing.version, repository, characters: existing.text.length, written: false, sleepJob: null };
  }
  const record = await runtime.engine.putContext({ id: options.id, text: rendering.text, metadata });
  let sleepJob: RepositoryPutResult['sleepJob'] = null;
  if (options.enqueueSleep !== false) {
    const { createSleepTriggers } = await import('@sleeptime/service');
    const job = await createSleepTriggers({ jobs: runtime.store.jobs, ...(options.quietPeriodMs === undefined ? {} : { quietPeriodMs: options.quietPeriodMs }) }).afterWrite(record.id, 'put');
    sleepJob = { id: job.id, runAfter: job.runAfter.toISOString() };
  }
  return { id: record.id, version: record.version, repository, characters: record.text.length, written: true, sleepJob };
}

async function existingContext(runtime: Runtime, id: string): Promise<ContextRecord | undefined> {
  try {
    return await runtime.engine.getContext(id);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'context_not_found') return undefined;
    throw error;
  }
}

export interface WatchOptions {
  id: string;
  /** The repository; default the one the context names. */
  repository?: string | undefined;
  /** The ref; default the one the context names, else HEAD. */
  ref?: string | undefined;
  intervalMs: number;
  /**
   * Sleep here once the repository has been quiet this long after a change (and on start when the
   * learned context is missing or stale); undefined: leave the sleep to the quiet-period job.
   */
  sleepAfterMs?: number | undefined;
  /** One check (and, with sleeping on, one sleep right away if stale), then return. */
  once: boolean;
  signal: AbortSignal;
  /** Each thing that happened: a put, a sleep, a passing failure. */
  onEvent: (event: WatchEvent) => void;
}

export type WatchEvent =
  | { type: 'watching'; id: string; repository: string; ref: string; commit: string | null; intervalMs: number; sleeping: boolean }
  | ({ type: 'put' } & RepositoryPutResult)
  | { type: 'slept'; id: string; sourceVersion: number; runId: string; characters: number; explorationCalls: number }
  | { type: 'error'; id: string; during: 'check' | 'sleep'; code: string; message: string };

/**
 * Polls `git rev-parse REF` every `intervalMs`; when it moves, re-puts the context (a new version,
 * so its learned context is stale: asks say `fresh: false` until the next sleep publishes). A
 * failing check (the repository mid-rebase, say) or sleep is reported and tried again later.
 */
export async function watchRepositoryContext(runtime: Runtime, options: WatchOptions): Promise<void> {
  const existing = await existingContext(runtime, options.id);
  const known = existing === undefined ? undefined : repositoryOfMetadata(existing.metadata);
  const repositoryPath = options.repository ?? known?.path;
  if (repositoryPath === undefined) {
    throw userError(
      existing === undefined ? 'context_not_found' : 'invalid_option',
      existing === undefined ? `No context with id "${options.id}": give --repo PATH to make it` : `Context "${options.id}" is not a repository context: give --repo PATH`,
    );
  }
  const ref = options.ref ?? known?.ref ?? 'HEAD';
  const { resolveCommit, repositoryTopLevel } = await import('@sleeptime/core/repository');
  const topLevel = await repositoryTopLevel(repositoryPath, options.signal);
  // Other metadata the context holds stays as it is.
  const otherMetadata = Object.fromEntries(Object.entries(existing?.metadata ?? {}).filter(([key]) => key !== repositoryMetadataKey));
  const sleeping = options.sleepAfterMs !== undefined;
  options.onEvent({ type: 'watching', id: options.id, repository: topLevel, ref, commit: known?.commit ?? null, intervalMs: options.intervalMs, sleeping });

  let current: RepositoryMetadata | undefined = known?.path === topLevel && known.ref === ref ? known : undefined;
  let changedAt: number | undefined;
  let failedSleepVersion: number | undefined;
  const failure = (during: 'check' | 'sleep', error: unknown): WatchEvent => ({
    type: 'error',
    id: options.id,
    during,
    code: (error as { code?: unknown }).code === undefined ? 'failed' : String((error as { code?: unknown }).code),
    message: errorMessage(error),
  });

  while (!options.signal.aborted) {
    try {
      const commit = await resolveCommit(topLevel, ref, options.signal);
      if (current?.commit !== commit) {
        const put = await putRepositoryContext(runtime, { id: options.id, repository: topLevel, ref, metadata: otherMetadata, enqueueSleep: !sleeping, signal: options.signal });
        current = put.repository;
        if (put.written) {
          changedAt = Date.now();
          options.onEvent({ type: 'put', ...put });
        }
      }
    } catch (error) {
      if (options.signal.aborted || options.once) throw error;
      options.onEvent(failure('check', error));
    }

    if (sleeping && !options.signal.aborted) {
      const quietFor = changedAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - changedAt;
      if (options.once || quietFor >= (options.sleepAfterMs ?? 0)) {
        const context = await runtime.engine.getContext(options.id);
        const learned = await runtime.engine.learnedContext(options.id);
        if (learned?.fresh !== true && failedSleepVersion !== context.version) {
          try {
            const result = await runtime.engine.sleep(options.id, { signal: options.signal, onlyIfCurrent: true });
            options.onEvent({
              type: 'slept',
              id: options.id,
              sourceVersion: result.sourceVersion,
              runId: result.runId,
              characters: result.learned.length,
              explorationCalls: result.branches.reduce((sum, branch) => sum + branch.explorationCalls, 0),
            });
          } catch (error) {
            if (options.signal.aborted || options.once) throw error;
            // Not again for this version: the next commit (or a restart) tries again.
            failedSleepVersion = context.version;
            options.onEvent(failure('sleep', error));
          }
        }
      }
    }
    if (options.once) break;
    await delay(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
