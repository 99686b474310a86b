/**
 * A sleep run: k sleep-time agents think about the context in parallel, their memories are
 * concatenated and published as the learned context in the transaction that marks the run
 * succeeded; then the ask prompt prefix is warmed for the asks to come.
 *
 * A repository context (metadata `repository`, see repository-metadata.ts) is slept on with the
 * `repository` prompt style (unless the caller names another) and the read-only repository tools
 * on a throwaway worktree of the commit its text was rendered from: made before the run starts,
 * shared by the k branches, removed however the sleep ends. Every transport (CLI, HTTP, jobs) gets
 * this from the context itself, through here.
 */
import { SleeptimeError, errorMessage, systemError, upstreamError, userError } from '../errors.js';
import type { CallSettings, SleeptimeModel } from '../models/types.js';
import { sumUsage, type Usage } from '../models/usage.js';
import type { PrefixWarmUpRecord, Store } from '../store/types.js';
import { withoutUndefined } from '../without-undefined.js';
import type { EngineDeps } from './engine-deps.js';
import { abortedError, modelFailure, storeCall } from './engine-errors.js';
import type { SleepBranchResult, SleepOptions, SleepProgressEvent, SleepResult } from './engine-types.js';
import { parseOptions, sleepBudgetSchema } from './option-schemas.js';
import { buildAskSystemPrompt, concatenateLearnedContexts } from './prompts.js';
import { toCallRecord, type RecordedModelCall } from './recording-model.js';
import { defaultMaxRewrites, defaultOutputLimit, defaultParallelSleepTemperature, defaultSleepCallMaxOutputTokens } from './engine-defaults.js';
import { createWorktree, type RepositoryWorktree } from '../repository/worktree.js';
import { readOnlyRepositoryTools } from '../repository/repository-tools.js';
import { checkRepositoryAccess, repositoryOfMetadata } from './repository-metadata.js';
import { runSleepAgent } from './sleep-agent.js';
import { checkSleepTokens, countSleepTokens } from './sleep-tokens.js';
import { truncationLimit } from './truncation-limit.js';

export async function runSleep(deps: EngineDeps, contextId: string, sleepOptions: SleepOptions): Promise<SleepResult> {
  const { store, now } = deps;
  const parsed = parseOptions(sleepBudgetSchema, sleepOptions);
  const parallel = parsed.parallel ?? 1;
  const maxRewrites = parsed.maxRewrites ?? defaultMaxRewrites;
  const temperature = parsed.temperature ?? (parallel > 1 ? defaultParallelSleepTemperature : 0);
  const context = await deps.requireContext(contextId);
  const repository = repositoryOfMetadata(context.metadata);
  if (repository !== undefined) {
    if (parsed.protocol === 'text') {
      throw userError('tools_required', 'A repository context is explored with tools, so it cannot sleep under protocol text: use protocol tools or auto, with a model served with tool calling', { field: 'protocol' });
    }
    await checkRepositoryAccess(deps.repositoryAccess, repository.path);
  }
  const promptStyle = parsed.promptStyle ?? (repository === undefined ? undefined : 'repository');
  // Before the model is made or a run started: a tenant out of sleep-time tokens today spends nothing more.
  await checkSleepTokens(deps, contextId, sleepOptions.maxTokensPerTenantPerDay);
  const model = await deps.loadModel();
  // Never unbounded: one rewrite needs at most a memory's worth of tokens.
  const maxOutputTokens = parsed.maxOutputTokens ?? defaultOutputLimit(defaultSleepCallMaxOutputTokens, { effort: parsed.effort }, model.provider);
  // May throw a user error for a knob this provider lacks: before any run is started.
  const callSettings: CallSettings = model.callSettings(withoutUndefined({ maxOutputTokens, effort: parsed.effort }));
  if (sleepOptions.signal?.aborted === true) throw abortedError('sleep run', sleepOptions.signal.reason);

  // Before the run starts: a repository that moved, or lost the commit, is a user error and writes nothing.
  let worktree: RepositoryWorktree | undefined;
  if (repository !== undefined) {
    worktree = await createWorktree({
      repository: repository.path,
      commit: repository.commit,
      ...(deps.repositoryWorktreeDir === undefined ? {} : { parentDir: deps.repositoryWorktreeDir }),
      ...(sleepOptions.signal === undefined ? {} : { signal: sleepOptions.signal }),
    });
  }
  try {
    const explorationTools = worktree === undefined ? undefined : readOnlyRepositoryTools(worktree);
    const startedAt = now();
    const run = await storeCall('start a run', () =>
      store.runs.start({
        ...(sleepOptions.runId === undefined ? {} : { id: sleepOptions.runId }),
        contextId,
        kind: 'sleep',
        model: model.spec,
        settings: withoutUndefined({
          parallel,
          effort: parsed.effort,
          maxRewrites,
          examples: parsed.examples,
          maxOutputTokens,
          temperature,
          protocol: parsed.protocol,
          promptStyle,
          maxMemoryCharacters: parsed.maxMemoryCharacters,
          maxExplorationSteps: repository === undefined ? undefined : parsed.maxExplorationSteps,
          repository: repository === undefined ? undefined : { ref: repository.ref, commit: repository.commit },
        }),
        sourceVersion: context.version,
      }),
    );

    try {
      sleepOptions.onStarted?.(run);
    } catch {
      // See SleepOptions.onStarted.
    }

    const progress = (event: SleepProgressEvent): void => {
      try {
        sleepOptions.onProgress?.(event);
      } catch {
        // See SleepOptions.onProgress.
      }
    };

    // One branch failing stops the others: their result could not be published anyway.
    const siblings = new AbortController();
    const branchSignal = sleepOptions.signal === undefined ? siblings.signal : AbortSignal.any([sleepOptions.signal, siblings.signal]);
    const callsSoFar: RecordedModelCall[] = [];
    let firstFailure: unknown;

    const runBranch = async (branch: number): Promise<SleepBranchResult> => {
      progress({ type: 'branch-started', branch, branches: parallel });
      const result = await runSleepAgent({
        languageModel: model.languageModel,
        contextText: context.text,
        examples: parsed.examples,
        maxRewrites,
        callSettings,
        temperature,
        ...(parsed.protocol === undefined ? {} : { protocol: parsed.protocol }),
        ...(promptStyle === undefined ? {} : { promptStyle }),
        ...(parsed.maxMemoryCharacters === undefined ? {} : { maxMemoryCharacters: parsed.maxMemoryCharacters }),
        ...(explorationTools === undefined ? {} : { extraTools: explorationTools }),
        ...(explorationTools === undefined || parsed.maxExplorationSteps === undefined ? {} : { maxExplorationSteps: parsed.maxExplorationSteps }),
        signal: branchSignal,
        now,
        onCall: async (call) => {
          callsSoFar.push(call);
          await storeCall('record a model call', () => store.runs.recordCall(toCallRecord(run.id, 'sleep', branch, call)));
          // Counted apart from the run, which goes with its context: deleting it gives no tokens back.
          await countSleepTokens(deps, contextId, call.usage);
          progress({ type: 'model-call', branch, step: call.step, usage: call.usage, durationMs: call.durationMs, finishReason: call.finishReason });
        },
        onRewrite: (rewrites) => progress({ type: 'rewrite', branch, rewrites, maxRewrites }),
      });
      const usage = sumUsage(result.calls.map((call) => call.usage));
      progress({ type: 'branch-finished', branch, rewrites: result.rewrites, stopReason: result.stopReason, usage });
      return {
        branch,
        memory: result.memory,
        rewrites: result.rewrites,
        stopReason: result.stopReason,
        protocol: result.protocol,
        refusals: result.refusals,
        explorationCalls: result.explorationCalls,
        usage,
        durationMs: result.durationMs,
      };
    };

    const settled = await Promise.allSettled(
      Array.from({ length: parallel }, (_, branch) =>
        runBranch(branch).catch((error: unknown) => {
          if (firstFailure === undefined) firstFailure = error;
          siblings.abort();
          throw error;
        }),
      ),
    );

    const spent = (): Usage => sumUsage(callsSoFar.map((call) => call.usage));
    const failWith = async (error: SleeptimeError): Promise<never> => {
      await deps.failRun(run.id, error, spent());
      throw error;
    };
    // The first limit that cut a call short, if any: a rewrite it cut was not applied.
    const cut = callsSoFar.find((call) => call.finishReason === 'length');
    const truncatedBy = cut === undefined ? null : truncationLimit(cut.finishReason, cut.rawFinishReason);

    if (firstFailure !== undefined) await failWith(modelFailure(firstFailure, 'sleep_failed', 'sleep run', sleepOptions.signal));
    const branches = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));

    // A branch that never rewrote its memory has nothing to say; publishing it would only displace a
    // useful older learned context. (The agent applies only usable rewrites: see sleep-memory.ts.)
    const memories = branches.filter((branch) => branch.rewrites > 0).map((branch) => branch.memory);
    if (memories.length === 0) {
      const refusals = branches.flatMap((branch) => branch.refusals);
      const why = refusals.length > 0 ? ` (refused: ${[...new Set(refusals)].slice(0, 3).join('; ')})` : truncatedBy === null ? '' : ` (a call was cut short by the ${truncatedBy} limit)`;
      await failWith(
        upstreamError('empty_learned_context', `The model wrote no usable memory during the sleep run${why}; the previous learned context is kept`, {
          details: { stopReasons: branches.map((branch) => branch.stopReason), refusals, truncatedBy },
        }),
      );
    }
    const learnedText = concatenateLearnedContexts(memories);
    const usage = spent();

    let published: Awaited<ReturnType<Store['runs']['complete']>>;
    try {
      published = await storeCall('publish the learned context', () =>
        store.runs.complete(run.id, {
          usage,
          finishReason: branches.map((branch) => branch.stopReason).join(','),
          truncatedBy,
          learned: {
            text: learnedText,
            sourceVersion: context.version,
            onlyIfCurrent: sleepOptions.onlyIfCurrent === true,
            ...(sleepOptions.publishFence === undefined ? {} : { fence: sleepOptions.publishFence }),
          },
        }),
      );
    } catch (error) {
      return failWith(modelFailure(error, 'store_failed', 'sleep run', sleepOptions.signal));
    }
    if (published.learned === undefined) {
      // The run is already marked succeeded; this is a store bug, not a failed run.
      throw systemError('store_failed', 'The store completed the sleep run without publishing its learned context');
    }

    const prefixWarmUp = await warmAskPrefix(deps, model, run.id, learnedText, context.text, sleepOptions.signal);

    return {
      runId: run.id,
      contextId,
      sourceVersion: context.version,
      learned: learnedText,
      learnedContextId: published.learned.id,
      usage,
      branches,
      ...(prefixWarmUp === undefined ? {} : { prefixWarmUp }),
      durationMs: Math.max(0, now() - startedAt),
    };
  } finally {
    // Also after a failure or an abort; a folder left by a crash is swept by the next createWorktree.
    await worktree?.remove().catch(() => undefined);
  }
}

/**
 * After a sleep publishes: lets the model precompute the prompt prefix of the asks to come (the
 * default layout: learned context and raw context). A failure is recorded on the run, never thrown:
 * the learned context is already published and asks work without the warm prefix.
 */
async function warmAskPrefix(
  deps: EngineDeps,
  model: SleeptimeModel,
  runId: string,
  learnedText: string,
  contextText: string,
  signal: AbortSignal | undefined,
): Promise<PrefixWarmUpRecord | undefined> {
  if (model.warmPrefix === undefined) return undefined;
  const startedAt = deps.now();
  let record: PrefixWarmUpRecord;
  try {
    const warmUp = await model.warmPrefix(buildAskSystemPrompt({ learnedContext: learnedText, contextText }), signal === undefined ? {} : { signal });
    record = withoutUndefined({
      status: warmUp.status,
      durationMs: Math.max(0, Math.round(warmUp.durationMs)),
      prefixTokens: warmUp.prefixTokens,
      stateBytes: warmUp.stateBytes,
      usage: warmUp.usage,
    });
  } catch (error) {
    record = {
      status: 'failed',
      durationMs: Math.max(0, deps.now() - startedAt),
      error: { code: SleeptimeError.isInstance(error) ? error.code : 'prefix_warm_up_failed', message: errorMessage(error) },
    };
  }
  try {
    await deps.store.runs.recordPrefixWarmUp(runId, record);
  } catch {
    // Same reasoning: a lost note about the warm-up is not worth failing a published sleep.
  }
  return record;
}
