/**
 * `createEngine`: contexts, learned contexts and runs over a store and a model. Reads and writes are
 * here; the flows that call a model (a sleep, an ask, a chat) load on first use, so a program that
 * only lists or writes contexts never loads the AI SDK.
 */
import { SleeptimeError, systemError, userError, errorMessage } from '../errors.js';
import type { SleeptimeModel } from '../models/types.js';
import type { ContextQuota, ContextRecord } from '../store/types.js';
import { withoutUndefined } from '../without-undefined.js';
import { defaultMaxContextBytes } from './engine-defaults.js';
import type { EngineDeps } from './engine-deps.js';
import type * as EngineFlows from './engine-flows.js';
import { storeCall } from './engine-errors.js';
import { checkSleepTokens, sleepTokenUsage } from './sleep-tokens.js';
import type { ContextStatistics, Engine, EngineOptions, LearnedContextVersion, PutContextInput } from './engine-types.js';
import { checkRepositoryAccess, repositoryOfMetadata } from './repository-metadata.js';
import {
  appendContentSchema,
  contextContentSchema,
  contextIdPattern,
  learnedDiffOptionsSchema,
  listContextsOptionsSchema,
  parseOptions,
  runsOptionsSchema,
} from './option-schemas.js';

let engineFlows: Promise<typeof EngineFlows> | undefined;
/** The model-calling flows, imported once: a dynamic import on every ask cost about 5% of its CPU. */
function loadEngineFlows(): Promise<typeof EngineFlows> {
  engineFlows ??= import('./engine-flows.js').catch((error: unknown) => {
    engineFlows = undefined;
    throw error;
  });
  return engineFlows;
}

function checkContextId(id: unknown): string {
  if (typeof id === 'string' && contextIdPattern.test(id)) return id;
  throw userError(
    'invalid_context_id',
    `Invalid context id "${String(id)}": use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    { contextId: id },
  );
}

function contextNotFound(id: string): SleeptimeError {
  return userError('context_not_found', `No context with id "${id}"`, { contextId: id });
}

/** The content of a put or an append, or the user error that says what is wrong with it. */
function parseContent<Schema extends typeof contextContentSchema | typeof appendContentSchema>(schema: Schema, input: unknown) {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as ReturnType<Schema['parse']>;
  const issue = parsed.error.issues[0];
  const field = issue?.path[0];
  // The schemas' own refusals (lone surrogates, forbidden metadata keys) carry their code and message.
  const code = issue?.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
  if (typeof code === 'string') throw userError(code, issue?.message ?? code, { field: String(field) });
  if (field === 'text') throw userError('empty_context_text', 'Context text is empty');
  if (field === 'separator') throw userError('invalid_option', 'separator must be a string of at most 16 characters', { field });
  throw userError('invalid_context_metadata', 'Context metadata must be an object');
}

/** A quota for a write to `id`: limits are whole numbers of at least 0, and `id` is under its prefix (or the count would miss it). */
function checkQuota(id: string, quota: ContextQuota | undefined): ContextQuota | undefined {
  if (quota === undefined) return undefined;
  for (const field of ['maxContexts', 'maxBytes'] as const) {
    const limit = quota[field];
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw userError('invalid_option', `quota.${field} must be a whole number of at least 0, got ${String(limit)}`, { field: `quota.${field}` });
    }
  }
  if (!id.startsWith(quota.prefix)) throw userError('invalid_option', `Context id "${id}" is outside its quota's prefix "${quota.prefix}"`, { field: 'quota.prefix' });
  return quota;
}

export function createEngine(options: EngineOptions): Engine {
  const { store } = options;
  const now = options.now ?? Date.now;
  const maxBytes = options.maxContextBytes ?? defaultMaxContextBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw userError('invalid_option', `maxContextBytes must be a positive whole number of bytes, got ${String(maxBytes)}`, { field: 'maxContextBytes' });
  }

  let modelPromise: Promise<SleeptimeModel> | undefined;
  function loadModel(): Promise<SleeptimeModel> {
    const source = options.model;
    if (typeof source !== 'function') return Promise.resolve(source);
    modelPromise ??= source().catch((error: unknown) => {
      // Let a later call try again (e.g. after the network comes back).
      modelPromise = undefined;
      if (SleeptimeError.isInstance(error)) throw error;
      throw systemError('model_load_failed', `Could not load the model: ${errorMessage(error)}`, error);
    });
    return modelPromise;
  }

  async function requireContext(id: string): Promise<ContextRecord> {
    const context = await storeCall('read a context', () => store.contexts.get(id));
    if (context === undefined) throw contextNotFound(id);
    return context;
  }

  const repositoryAccess = options.repositoryAccess ?? 'any';
  const deps: EngineDeps = {
    store,
    now,
    loadModel,
    requireContext,
    repositoryAccess,
    repositoryWorktreeDir: options.repositoryWorktreeDir,
    async failRun(runId, error, usage, failOptions) {
      try {
        await store.runs.fail(runId, { code: error.code, message: error.message }, usage, failOptions);
      } catch {
        // The original error is what the caller needs; the run stays 'running' in the store.
      }
    },
  };

  async function learnedVersions(contextId: string): Promise<{ context: ContextRecord; versions: LearnedContextVersion[] }> {
    const context = await requireContext(contextId);
    const history = await storeCall('read the learned contexts', () => store.learned.history(contextId));
    return {
      context,
      versions: history.map((record, index) => ({ record, version: index + 1, fresh: record.sourceVersion === context.version })),
    };
  }

  return {
    async putContext(input: PutContextInput, writeOptions) {
      const id = checkContextId(input?.id);
      const content = parseContent(contextContentSchema, input);
      const quota = checkQuota(id, writeOptions?.quota);
      // A repository context: the reserved key's shape, and a repository this engine may read.
      const repository = repositoryOfMetadata(content.metadata);
      if (repository !== undefined) await checkRepositoryAccess(repositoryAccess, repository.path);
      return storeCall('write a context', () => store.contexts.put(withoutUndefined({ id, text: content.text, metadata: content.metadata, maxBytes, quota })));
    },
    async appendContext(input, writeOptions) {
      const id = checkContextId(input?.id);
      const content = parseContent(appendContentSchema, input);
      const quota = checkQuota(id, writeOptions?.quota);
      return storeCall('append to a context', () => store.contexts.append(withoutUndefined({ id, text: content.text, separator: content.separator, maxBytes, quota })));
    },
    getContext: requireContext,
    async listContexts(listOptions) {
      if (listOptions === undefined) return storeCall('list contexts', () => store.contexts.list());
      const parsed = parseOptions(listContextsOptionsSchema, listOptions);
      return storeCall('list contexts', () => store.contexts.list(withoutUndefined(parsed)));
    },
    async deleteContext(id) {
      const deleted = await storeCall('delete a context', () => store.contexts.delete(id));
      if (!deleted) throw contextNotFound(id);
    },

    async sleep(contextId, sleepOptions = {}) {
      const { runSleep } = await loadEngineFlows();
      return runSleep(deps, contextId, sleepOptions);
    },
    checkSleepTokens: (contextId, maxTokensPerTenantPerDay) => checkSleepTokens(deps, contextId, maxTokensPerTenantPerDay),
    sleepTokenUsage: (tenant) => sleepTokenUsage(deps, tenant),

    async ask(contextId, question, askOptions = {}) {
      const { prepareAsk } = await loadEngineFlows();
      const { prepared, toResult } = await prepareAsk(deps, contextId, question, askOptions);
      return toResult(await prepared.generate());
    },
    async streamAsk(contextId, question, askOptions = {}) {
      const { prepareAsk, mapStream } = await loadEngineFlows();
      const { prepared, toResult } = await prepareAsk(deps, contextId, question, askOptions, { stream: true });
      return mapStream(prepared, contextId, toResult);
    },
    async chat(contextId, request) {
      const { prepareChat } = await loadEngineFlows();
      const { prepared, toResult } = await prepareChat(deps, contextId, request);
      return toResult(await prepared.generate());
    },
    async streamChat(contextId, request) {
      const { prepareChat, mapStream } = await loadEngineFlows();
      const { prepared, toResult } = await prepareChat(deps, contextId, request);
      return mapStream(prepared, contextId, toResult);
    },

    async learnedContext(contextId) {
      const context = await requireContext(contextId);
      const record = await storeCall('read the learned context', () => store.learned.latest(contextId));
      return record === undefined ? undefined : { record, fresh: record.sourceVersion === context.version };
    },
    learnedHistory: learnedVersions,
    async learnedDiff(contextId, diffOptions) {
      const { from: fromOption, to: toOption } = parseOptions(learnedDiffOptionsSchema, diffOptions);
      const { versions } = await learnedVersions(contextId);
      const to = toOption ?? versions.length;
      const from = fromOption ?? to - 1;
      const fromVersion = versions[from - 1];
      const toVersion = versions[to - 1];
      if (fromVersion === undefined || toVersion === undefined || from < 1) {
        throw userError('learned_version_not_found', `Learned versions ${from} and ${to} do not both exist (there are ${versions.length})`, {
          versions: versions.length,
        });
      }
      const { diffLearnedTexts } = await import('./learned-diff.js');
      return diffLearnedTexts({ version: from, text: fromVersion.record.text }, { version: to, text: toVersion.record.text });
    },

    async runs(contextId, runsOptions) {
      const { limit } = parseOptions(runsOptionsSchema, runsOptions);
      await requireContext(contextId);
      return storeCall('list runs', () => store.runs.list(contextId, limit === undefined ? undefined : { limit }));
    },
    getRun: (runId) => storeCall('read a run', () => store.runs.get(runId)),
    async runCalls(runId) {
      const run = await storeCall('read a run', () => store.runs.get(runId));
      if (run === undefined) throw userError('run_not_found', `No run with id "${runId}"`, { runId });
      return storeCall('list model calls', () => store.runs.calls(runId));
    },
    async contextStatistics(selection) {
      const [learned, runs] = await Promise.all([
        storeCall('read learned-context statistics', () => store.learned.statistics(selection)),
        storeCall('read run statistics', () => store.runs.statistics(selection)),
      ]);
      const byContext = new Map<string, ContextStatistics>();
      const entry = (contextId: string) => {
        let found = byContext.get(contextId);
        if (found === undefined) byContext.set(contextId, (found = { contextId, learned: null, runs: [] }));
        return found;
      };
      for (const statistics of learned) entry(statistics.contextId).learned = statistics;
      for (const group of runs) entry(group.contextId).runs.push(group);
      return [...byContext.values()].sort((a, b) => (a.contextId < b.contextId ? -1 : a.contextId > b.contextId ? 1 : 0));
    },
    runChanges: (input) => storeCall('read run changes', () => store.runs.changes(input)),
    async abandonRun(runId, error) {
      const run = await storeCall('read a run', () => store.runs.get(runId));
      if (run?.status !== 'running') return false;
      try {
        await store.runs.fail(runId, error, run.usage);
        return true;
      } catch (failure) {
        // Finished meanwhile after all (a very late worker): nothing to close.
        if (SleeptimeError.isInstance(failure) && failure.code === 'run_not_running') return false;
        throw failure;
      }
    },
  };
}
