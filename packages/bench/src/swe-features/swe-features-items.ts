/**
 * SWE-Features items for the runner: read from the JSON Lines file `sleeptime data swe-features`
 * writes, optionally pointed at another clone of the repository (`repository`: the repository
 * moved, or the file was built elsewhere), and checked before the first model call: every item's
 * repository is a git repository that holds its base commit, or the run stops at once with one line
 * naming the item and how to point it elsewhere.
 */
import path from 'node:path';
import { SleeptimeError, userError } from '@sleeptime/core';
import { resolveCommit, runGit } from '@sleeptime/core/repository';
import { readJsonl } from '../datasets/jsonl.js';
import { sweFeaturesItemSchema, type SweFeaturesItem } from '../datasets/swe-features/index.js';

/** True when the file's first row is a SWE-Features item (it has a base commit and gold files). */
export async function isSweFeaturesItemsFile(file: string): Promise<boolean> {
  const rows = await readJsonl(file);
  const first = rows[0];
  return typeof first === 'object' && first !== null && 'baseCommit' in first && 'goldFiles' in first;
}

export interface LoadSweFeaturesItemsOptions {
  /** Every item's repository, in place of the one the file names. */
  repository?: string;
}

/** The items of a SWE-Features file; ids must be unique. */
export async function loadSweFeaturesItems(file: string, options: LoadSweFeaturesItemsOptions = {}): Promise<SweFeaturesItem[]> {
  const items = await readJsonl(file, sweFeaturesItemSchema);
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.id)) throw userError('dataset_malformed', `${file}: item "${item.id}" appears twice.`, { path: file, itemId: item.id });
    seen.add(item.id);
  }
  if (options.repository === undefined) return items;
  const repository = path.resolve(options.repository);
  return items.map((item) => ({ ...item, repository }));
}

/**
 * Checks every item's repository (each once) and base commit: `repository_not_found` or
 * `commit_not_found`, naming the item, when one cannot be had.
 */
export async function checkSweFeaturesRepositories(items: readonly SweFeaturesItem[], signal?: AbortSignal): Promise<void> {
  const hint = 'Point the run at a clone that has it (sleeptime bench --repo PATH).';
  const repositories = new Set<string>();
  for (const item of items) {
    if (!repositories.has(item.repository)) {
      try {
        await runGit(['rev-parse', '--git-dir'], { cwd: item.repository, ...(signal === undefined ? {} : { signal }) });
      } catch (error) {
        if (!SleeptimeError.isInstance(error) || (error.code !== 'directory_not_found' && error.code !== 'git_failed')) throw error;
        throw userError('repository_not_found', `Item "${item.id}": ${item.repository} is not a git repository here. ${hint}`, { itemId: item.id, repository: item.repository });
      }
      repositories.add(item.repository);
    }
    try {
      await resolveCommit(item.repository, item.baseCommit, signal);
    } catch (error) {
      if (!SleeptimeError.isInstance(error) || error.code !== 'commit_not_found') throw error;
      throw userError('commit_not_found', `Item "${item.id}": ${item.repository} has no commit ${item.baseCommit}. ${hint}`, { itemId: item.id, repository: item.repository });
    }
  }
}
