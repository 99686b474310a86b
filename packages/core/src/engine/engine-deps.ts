/** What the engine's flows (sleep, the test-time calls) share: the store, the clock and the model. */
import type { SleeptimeModel } from '../models/types.js';
import type { Usage } from '../models/usage.js';
import type { ContextRecord, Store } from '../store/types.js';
import type { SleeptimeError } from '../errors.js';
import type { RepositoryAccess } from './repository-metadata.js';

export interface EngineDeps {
  store: Store;
  now: () => number;
  /** Makes the model on first use (once validation has passed), then returns the same one. */
  loadModel(): Promise<SleeptimeModel>;
  /** The context, or a `context_not_found` user error. */
  requireContext(id: string): Promise<ContextRecord>;
  /** Which repositories a repository context may name (see `EngineOptions.repositoryAccess`). */
  repositoryAccess: RepositoryAccess;
  /** Where sleeps make repository worktrees; undefined: the system's temporary folder. */
  repositoryWorktreeDir: string | undefined;
  /** Marks a run failed with what it spent; never throws (the caller's error is what matters). */
  failRun(runId: string, error: SleeptimeError, usage: Usage, options?: { usagePartial?: boolean }): Promise<void>;
}
