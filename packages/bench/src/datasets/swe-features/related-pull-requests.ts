/**
 * The context of an item: the K earlier pull requests most related to the feature (the paper's
 * "related PRs"). Earlier means merged before the base commit, on the same first-parent line, so
 * the agents' worktree already holds them. Related means, in this order:
 *
 * 1. the most files in common with the feature's changed files;
 * 2. then the most folders in common (a file's folder, for changes that touched neighbours);
 * 3. then the most recent.
 *
 * Pull requests with nothing in common fill the remaining places, most recent first (a repository's
 * recent work says where it is heading). They are listed oldest first, as history reads.
 */
import type { HistoryCommit, ChangedFile } from './git-history.js';
import type { PullRequestMessage } from './pull-request-message.js';

/** A commit of the first-parent line with what it says and what it changed. */
export interface HistoryChange {
  commit: HistoryCommit;
  message: PullRequestMessage;
  files: ChangedFile[];
}

/** Up to `count` of `earlier` (newest first), the most related to `featureFiles` first; returned oldest first. */
export function selectRelatedChanges(featureFiles: readonly string[], earlier: readonly HistoryChange[], count: number): HistoryChange[] {
  if (count <= 0) return [];
  const files = new Set(featureFiles);
  const folders = new Set(featureFiles.map(folderOf));
  const scored = earlier
    .filter((change) => !change.message.sync && change.files.length > 0)
    .map((change, recency) => {
      const changed = change.files.map((file) => file.path);
      return {
        change,
        recency,
        sharedFiles: changed.filter((path) => files.has(path)).length,
        sharedFolders: new Set(changed.map(folderOf).filter((folder) => folders.has(folder))).size,
      };
    });
  const related = scored
    .filter((entry) => entry.sharedFiles > 0 || entry.sharedFolders > 0)
    .sort((left, right) => right.sharedFiles - left.sharedFiles || right.sharedFolders - left.sharedFolders || left.recency - right.recency);
  const chosen = related.slice(0, count);
  for (const entry of scored) {
    if (chosen.length >= count) break;
    if (!chosen.includes(entry)) chosen.push(entry);
  }
  // Most related first is the order the context's size bound drops them in (the last first).
  return chosen.map((entry) => entry.change);
}

function folderOf(filePath: string): string {
  const slash = filePath.lastIndexOf('/');
  return slash === -1 ? '' : filePath.slice(0, slash);
}
