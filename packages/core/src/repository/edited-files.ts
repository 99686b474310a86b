/**
 * The files an agent changed in a worktree, from git's own diff of the tree against the base
 * commit: every file added, modified, deleted, renamed or changed in type, whichever tool (or
 * anything else) did it. New files count unless the repository's .gitignore ignores them.
 *
 * A rename counts once, under its new path, as `git diff --name-only` and GitHub's list of a pull
 * request's files show it (the gold files of a SWE-Features item follow the same rule).
 */
import type { RepositoryWorktree } from './worktree.js';

export type FileChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type-changed';

export interface FileChange {
  /** Relative to the root, with forward slashes (the new path of a rename or copy). */
  path: string;
  status: FileChangeStatus;
  /** The path it was renamed or copied from. */
  previousPath?: string;
}

export interface EditedFiles {
  /** The changed paths, sorted: each change's `path`. */
  files: string[];
  changes: FileChange[];
}

/**
 * Stages everything in the worktree's own index (`git add -A`: the user's repository is not
 * touched) and lists the staged changes against the base commit, with rename detection.
 */
export async function editedFiles(worktree: Pick<RepositoryWorktree, 'git' | 'baseCommit'>, signal?: AbortSignal): Promise<EditedFiles> {
  await worktree.git(['add', '--all', '--', '.'], { signal });
  const { stdout } = await worktree.git(['diff', '--cached', '--name-status', '-z', '--find-renames', '--no-ext-diff', worktree.baseCommit, '--'], { signal });
  const changes = parseNameStatus(stdout);
  return { files: [...new Set(changes.map((change) => change.path))].sort(), changes };
}

const statusLetters: Record<string, FileChangeStatus> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'type-changed' };

/** Parses `git diff --name-status -z` output (`R100 NUL old NUL new NUL`, `M NUL path NUL`, ...). */
export function parseNameStatus(output: string): FileChange[] {
  const tokens = output.split('\0');
  const changes: FileChange[] = [];
  for (let index = 0; index < tokens.length; ) {
    const code = tokens[index] as string;
    index += 1;
    if (code === '') continue;
    const letter = code[0] as string;
    const status = statusLetters[letter] ?? 'modified';
    if (letter === 'R' || letter === 'C') {
      const previousPath = tokens[index] as string;
      const newPath = tokens[index + 1] as string;
      index += 2;
      changes.push({ path: newPath, status, previousPath });
    } else {
      changes.push({ path: tokens[index] as string, status });
      index += 1;
    }
  }
  return changes.sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0));
}
