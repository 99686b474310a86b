/**
 * The context text of an item: its related earlier pull requests as the sleep-time agent reads
 * them, each with its title, description and changed files with line counts, within bounds: a
 * description is cut at `bodyCharacters` (default 1,500), at most `filesListed` files are named
 * (default 30), and the whole text stays under `totalCharacters` (default 12,000) by leaving out the
 * least related pull requests first (the most related one is always kept, its description shortened
 * if need be).
 */
import { cutText as cut, renderChange } from '@sleeptime/core/repository';
import type { HistoryChange } from './related-pull-requests.js';
import type { SweFeaturesContextPullRequest } from './swe-features-types.js';

export interface ContextBounds {
  bodyCharacters: number;
  filesListed: number;
  totalCharacters: number;
}

export const defaultContextBounds: Readonly<ContextBounds> = Object.freeze({ bodyCharacters: 1500, filesListed: 30, totalCharacters: 12_000 });

/** One related change as it is stored in an item. */
export function contextPullRequestOf(change: HistoryChange, bounds: ContextBounds = defaultContextBounds): SweFeaturesContextPullRequest {
  return {
    commit: change.commit.commit,
    pullRequest: change.message.pullRequest,
    title: change.message.title,
    body: cut(change.message.body, bounds.bodyCharacters),
    date: change.commit.date === '' ? null : change.commit.date,
    files: change.files.slice(0, bounds.filesListed).map((file) => ({ path: file.path, added: file.added, removed: file.removed })),
    moreFiles: Math.max(0, change.files.length - bounds.filesListed),
  };
}

/**
 * The text for `pullRequests` (most related first), oldest first, and the ones it kept (oldest
 * first) once the total bound is applied.
 */
export function renderContext(
  repositoryName: string,
  pullRequests: readonly SweFeaturesContextPullRequest[],
  bounds: ContextBounds = defaultContextBounds,
): { text: string; kept: SweFeaturesContextPullRequest[] } {
  let kept = [...pullRequests];
  let text = renderAll(repositoryName, chronological(kept));
  while (text.length > bounds.totalCharacters && kept.length > 1) {
    kept = kept.slice(0, -1);
    text = renderAll(repositoryName, chronological(kept));
  }
  const only = kept[0];
  if (text.length > bounds.totalCharacters && only !== undefined) {
    // The most related pull request is over the bound on its own: shorten its description, then cut.
    kept = [{ ...only, body: cut(only.body, Math.max(0, only.body.length - (text.length - bounds.totalCharacters) - 1)) }];
    text = renderAll(repositoryName, kept).slice(0, bounds.totalCharacters);
  }
  return { text, kept: chronological(kept) };
}

/** One pull request as Markdown: a heading, when and where, the description, the files (the renderer repository contexts use too). */
export const renderOne: (pullRequest: SweFeaturesContextPullRequest) => string = renderChange;

function renderAll(repositoryName: string, pullRequests: readonly SweFeaturesContextPullRequest[]): string {
  if (pullRequests.length === 0) return '';
  const header = `Earlier changes to ${repositoryName}, oldest first:`;
  return [header, ...pullRequests.map(renderOne)].join('\n\n');
}

function chronological(pullRequests: readonly SweFeaturesContextPullRequest[]): SweFeaturesContextPullRequest[] {
  // Stable: equal or missing dates keep the order given.
  const time = (date: string | null) => (date === null ? 0 : Date.parse(date) || 0);
  return [...pullRequests].sort((left, right) => time(left.date) - time(right.date));
}
