/**
 * `delete_file`: removes one file of the worktree, so a coding agent can carry out a change that
 * deletes files (the gold sets of SWE-Features items include deletions). The same sandbox as the
 * writes: the path is resolved for writing, so no symbolic link is followed or removed, nothing in
 * `.git` and nothing outside the root; only a regular file goes, never a folder (a folder whose
 * files are all deleted disappears from git's view of the tree by itself).
 */
import { lstat, unlink } from 'node:fs/promises';
import { resolveSandboxPath } from './sandbox-path.js';
import { RepositoryToolError } from './tool-limits.js';

export interface DeleteFileInput {
  path: string;
}

/** Deletes a regular file; says so, or why not. */
export async function deleteRepositoryFile(root: string, input: DeleteFileInput): Promise<string> {
  const file = await resolveSandboxPath(root, input.path, 'write');
  if (file.relative === '') throw new RepositoryToolError('Give the path of a file, not the repository root.');
  if (!file.exists) throw new RepositoryToolError(`No such file: ${file.relative}`);
  // lstat: the sandbox refused links on the way, and the last component is not followed either.
  const info = await lstat(file.absolute);
  if (info.isDirectory()) throw new RepositoryToolError(`${file.relative} is a folder; delete_file removes files one by one.`);
  if (!info.isFile()) throw new RepositoryToolError(`${file.relative} is not a regular file.`);
  await unlink(file.absolute);
  return `Deleted ${file.relative}.`;
}
