/**
 * `sleeptime data swe-features --repo PATH`: a SWE-Features dataset from a repository's history.
 *
 * The first-parent line of `ref` (default HEAD) is read back `scan` commits (default 2,000). In
 * `merges` mode the units are its merge commits, each a pull request whose change is the diff from
 * the merge's first parent to the merge; in `commits` mode (projects that squash or commit directly)
 * the units are its other commits, each against its parent. `auto` (the default) takes merges when
 * at least a quarter of the line's commits are merges that are not mere branch synchronizations.
 * Each unit is judged by the feature rule (feature-rules.ts), newest first, until `limit` features
 * are found; each becomes an item with its base commit (the first parent), its task (title and
 * description; a merge whose author wrote nothing gets the subjects of the commits it merged), its
 * context (the K related earlier units, related-pull-requests.ts and context-text.ts) and its gold
 * files (every file it changed; test files are also listed apart). Items are written oldest first.
 */
import path from 'node:path';
import { resolveCommit } from '@sleeptime/core/repository';
import { defaultContextBounds, contextPullRequestOf, renderContext, type ContextBounds } from './context-text.js';
import { defaultFeatureRules, featureVerdict, type FeatureRules, type FeatureSkipReason } from './feature-rules.js';
import { readChangedFiles, readFirstParentHistory, readMergedCommitSubjects, repositoryTopLevel, type HistoryCommit } from './git-history.js';
import { isTestPath } from './path-kinds.js';
import { parseCommitMessage, parseMergeMessage } from './pull-request-message.js';
import { selectRelatedChanges, type HistoryChange } from './related-pull-requests.js';
import type { SweFeaturesItem } from './swe-features-types.js';

export type SweFeaturesMode = 'auto' | 'merges' | 'commits';

export interface BuildSweFeaturesOptions {
  /** A folder in the repository. */
  repository: string;
  /** The branch (or any commit name) whose first-parent line is read; default HEAD. */
  ref?: string;
  /** The most recent features to make items of (default 50). */
  limit?: number;
  /** Only features committed from then on (anything `git log --since` takes: a date, "6 months ago"). */
  since?: string;
  /** Related earlier pull requests in each item's context (default 3). */
  contextPullRequests?: number;
  /** Default `auto`. */
  mode?: SweFeaturesMode;
  /** First-parent commits read back from `ref`, for items and their contexts (default 2,000). */
  scan?: number;
  rules?: Partial<FeatureRules>;
  contextBounds?: Partial<ContextBounds>;
  signal?: AbortSignal;
}

export interface SweFeaturesBuild {
  items: SweFeaturesItem[];
  /** The mode used (`auto` resolved). */
  mode: 'merges' | 'commits';
  /** The repository's top level. */
  repository: string;
  /** First-parent commits read. */
  scanned: number;
  /** Merges (or commits) judged by the feature rule before `limit` items were found. */
  considered: number;
  /** Why the others among those were not taken. */
  skipped: Record<FeatureSkipReason, number>;
}

export const defaultSweFeaturesLimit = 50;
export const defaultContextPullRequests = 3;
export const defaultHistoryScan = 2000;
/** The task text is cut here (a description can be very long). */
const maxTaskCharacters = 8000;
/** Commit subjects listed in the task of a merge whose author wrote no description. */
const maxMergedSubjects = 20;

export async function buildSweFeatures(options: BuildSweFeaturesOptions): Promise<SweFeaturesBuild> {
  const { signal } = options;
  const topLevel = await repositoryTopLevel(options.repository, signal);
  const repositoryName = path.basename(topLevel).replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]+/g, '-') || 'repository';
  const head = await resolveCommit(topLevel, options.ref ?? 'HEAD', signal);
  const scan = options.scan ?? defaultHistoryScan;
  const limit = options.limit ?? defaultSweFeaturesLimit;
  const rules: FeatureRules = { ...defaultFeatureRules, ...options.rules };
  const bounds: ContextBounds = { ...defaultContextBounds, ...options.contextBounds };
  const contextCount = options.contextPullRequests ?? defaultContextPullRequests;

  const history = await readFirstParentHistory(topLevel, { ref: head, maxCount: scan, signal });
  const inRange = options.since === undefined ? undefined : new Set((await readFirstParentHistory(topLevel, { ref: head, maxCount: scan, since: options.since, signal })).map((commit) => commit.commit));
  const mode = options.mode === undefined || options.mode === 'auto' ? chooseMode(history) : options.mode;
  const units = history.filter((commit) => (mode === 'merges' ? commit.parents.length >= 2 : commit.parents.length <= 1));
  const changedFiles = await readChangedFiles(topLevel, units, signal);
  const changes: HistoryChange[] = units.map((commit) => ({
    commit,
    message: mode === 'merges' ? parseMergeMessage(commit.message) : parseCommitMessage(commit.message),
    files: changedFiles.get(commit.commit) ?? [],
  }));

  const skipped: Record<FeatureSkipReason, number> = { 'sync-merge': 0, 'no-files': 0, 'too-many-files': 0, 'no-source-files': 0, 'not-a-feature': 0 };
  let considered = 0;
  const chosen: number[] = [];
  for (let index = 0; index < changes.length && chosen.length < limit; index += 1) {
    const change = changes[index] as HistoryChange;
    // A root commit has no base to start from; commits before --since are context only.
    if (change.commit.parents.length === 0 || (inRange !== undefined && !inRange.has(change.commit.commit))) continue;
    considered += 1;
    const verdict = featureVerdict({ title: change.message.title, files: change.files.map((file) => file.path), sync: change.message.sync }, rules);
    if (verdict.feature) chosen.push(index);
    else skipped[verdict.reason] += 1;
  }

  const items: SweFeaturesItem[] = [];
  const ids = new Set<string>();
  for (const index of chosen) {
    const change = changes[index] as HistoryChange;
    const goldFiles = [...new Set(change.files.map((file) => file.path))].sort();
    const related = selectRelatedChanges(goldFiles, changes.slice(index + 1), contextCount);
    const { text: context, kept } = renderContext(repositoryName, related.map((relatedChange) => contextPullRequestOf(relatedChange, bounds)), bounds);
    const item: SweFeaturesItem = {
      id: uniqueId(itemId(repositoryName, change), change.commit, ids),
      source: 'repository',
      repository: topLevel,
      repositoryName,
      baseCommit: change.commit.parents[0] as string,
      featureCommit: change.commit.commit,
      kind: mode === 'merges' ? 'merge' : 'commit',
      pullRequest: change.message.pullRequest,
      date: change.commit.date === '' ? null : change.commit.date,
      title: change.message.title,
      task: await taskText(topLevel, change, signal),
      context,
      contextPullRequests: kept,
      goldFiles,
      testFiles: goldFiles.filter(isTestPath),
    };
    items.push(item);
  }
  return { items: items.reverse(), mode, repository: topLevel, scanned: history.length, considered, skipped };
}

/** Merges when at least a quarter of the first-parent line are merges of pull requests or branches. */
export function chooseMode(history: readonly HistoryCommit[]): 'merges' | 'commits' {
  const merges = history.filter((commit) => commit.parents.length >= 2 && !parseMergeMessage(commit.message).sync).length;
  return merges > 0 && merges * 4 >= history.length ? 'merges' : 'commits';
}

async function taskText(repository: string, change: HistoryChange, signal: AbortSignal | undefined): Promise<string> {
  let body = change.message.body;
  if (body === '' && change.commit.parents.length >= 2) {
    const subjects = (await readMergedCommitSubjects(repository, change.commit, maxMergedSubjects, signal)).filter((subject) => subject !== change.message.title);
    if (subjects.length > 0) body = `Commits in this pull request:\n${subjects.map((subject) => `- ${subject}`).join('\n')}`;
  }
  const title = change.message.title === '' ? `Commit ${change.commit.commit.slice(0, 10)}` : change.message.title;
  const text = body === '' ? title : `${title}\n\n${body}`;
  return text.length <= maxTaskCharacters ? text : `${text.slice(0, maxTaskCharacters - 1).trimEnd()}…`;
}

function itemId(repositoryName: string, change: HistoryChange): string {
  return change.message.pullRequest === null ? `${repositoryName}-${change.commit.commit.slice(0, 10)}` : `${repositoryName}-pr-${change.message.pullRequest}`;
}

function uniqueId(id: string, commit: HistoryCommit, taken: Set<string>): string {
  const unique = taken.has(id) ? `${id}-${commit.commit.slice(0, 10)}` : id;
  taken.add(unique);
  return unique;
}
