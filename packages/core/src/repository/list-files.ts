/** `list_files`: the entries of a folder of the worktree, or of its whole subtree, bounded. */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveSandboxPath } from './sandbox-path.js';
import { RepositoryToolError } from './tool-limits.js';

export interface ListFilesInput {
  /** A folder relative to the root; default the root. */
  path?: string;
  /** Everything below the folder instead of its entries only. */
  recursive?: boolean;
}

/**
 * One path a line, relative to the root (folders end with `/`, symbolic links with `@`), sorted;
 * `.git` entries are left out and symbolic links are never descended into. At most `maxEntries`.
 */
export async function listFiles(root: string, input: ListFilesInput, maxEntries: number): Promise<string> {
  const folder = await resolveSandboxPath(root, input.path ?? '.', 'read');
  const shown = folder.relative === '' ? '.' : folder.relative;
  if (!folder.exists) throw new RepositoryToolError(`No such folder: ${shown}`);
  const info = await stat(folder.absolute);
  if (!info.isDirectory()) throw new RepositoryToolError(`${shown} is a file (${info.size} bytes), not a folder: read it with read_file.`);

  const lines: string[] = [];
  let more = 0;
  let stopped = false;
  // Depth first in name order, as `find` would list it; a cut recursive listing stops where it is.
  const walk = async (absolute: string, relative: string): Promise<void> => {
    const entries = (await readdir(absolute, { withFileTypes: true })).filter((entry) => !/^\.git[. ]*$/i.test(entry.name)).sort(byName);
    for (const entry of entries) {
      if (stopped) return;
      if (lines.length >= maxEntries) {
        if (input.recursive === true) {
          stopped = true;
          return;
        }
        more += 1;
        continue;
      }
      const entryPath = relative === '' ? entry.name : `${relative}/${entry.name}`;
      lines.push(`${entryPath}${suffix(entry)}`);
      if (input.recursive === true && entry.isDirectory()) await walk(path.join(absolute, entry.name), entryPath);
    }
  };
  await walk(folder.absolute, folder.relative);
  if (lines.length === 0) return `${shown} is empty.`;
  if (stopped) lines.push(`(listing stopped at ${maxEntries} entries: list a subfolder to see the rest)`);
  if (more > 0) lines.push(`(${more} more entries not shown: list a subfolder, or search)`);
  return lines.join('\n');
}

function suffix(entry: Dirent): string {
  if (entry.isSymbolicLink()) return '@';
  return entry.isDirectory() ? '/' : '';
}

function byName(left: Dirent, right: Dirent): number {
  return left.name < right.name ? -1 : left.name > right.name ? 1 : 0;
}
