/**
 * A repository as a context's text: what the sleep-time agent reads before it explores (and what
 * asks carry as the raw context). Everything comes from one commit's objects, never the working
 * folder, so the text and the worktree a sleep explores are the same snapshot:
 *
 *     # Repository <name>
 *     Ref HEAD, commit <sha>, <date>.
 *     ## Files (<n>)           every file, or, past `treeLines`, the deepest folder level that fits
 *     ## README (<file>)       its first `readmeCharacters`
 *     ## Recent changes        the last `changes` merged pull requests or commits on the first-parent
 *                              line, newest first (titles, descriptions, files with line counts)
 *
 * The whole stays under `totalCharacters`: the oldest changes go first, then the text is cut.
 */
import path from 'node:path';
import { cutText, renderChange, type RepositoryChange } from './change-text.js';
import { readChangedFiles, readFirstParentHistory, repositoryTopLevel } from './git-history.js';
import { runGit } from './git.js';
import { parseCommitMessage, parseMergeMessage } from './pull-request-message.js';
import { resolveCommit } from './worktree.js';

export interface RepositoryContextBounds {
  /** Lines of the file tree (default 300). */
  treeLines: number;
  /** Characters of the README (default 4,000). */
  readmeCharacters: number;
  /** Recent changes listed (default 15). */
  changes: number;
  /** Characters of one change's description (default 600). */
  changeBodyCharacters: number;
  /** Files listed per change (default 15). */
  changeFiles: number;
  /** Characters of the whole text (default 40,000). */
  totalCharacters: number;
}

export const defaultRepositoryContextBounds: Readonly<RepositoryContextBounds> = Object.freeze({
  treeLines: 300,
  readmeCharacters: 4000,
  changes: 15,
  changeBodyCharacters: 600,
  changeFiles: 15,
  totalCharacters: 40_000,
});

export interface RepositoryContextOptions {
  /** A folder inside the repository (its top level is found), or a bare repository. */
  repository: string;
  /** What `git rev-parse` takes that names a commit (default `HEAD`). */
  ref?: string;
  bounds?: Partial<RepositoryContextBounds>;
  signal?: AbortSignal;
}

export interface RepositoryContextRendering {
  text: string;
  /** The repository's top level (an absolute path). */
  repository: string;
  ref: string;
  /** The full SHA the text was rendered from. */
  commit: string;
}

/** Renders `ref` of a repository as a context's text; see the file's header. */
export async function renderRepositoryContext(options: RepositoryContextOptions): Promise<RepositoryContextRendering> {
  const bounds = { ...defaultRepositoryContextBounds, ...options.bounds };
  const ref = options.ref ?? 'HEAD';
  const { signal } = options;
  const repository = await repositoryTopLevel(options.repository, signal);
  const commit = await resolveCommit(repository, ref, signal);
  const date = (await runGit(['show', '-s', '--format=%cI', commit], { cwd: repository, signal })).stdout.trim();
  const files = await listTree(repository, commit, signal);
  const readme = await readReadme(repository, commit, files, bounds.readmeCharacters, signal);
  const changes = await recentChanges(repository, commit, bounds, signal);

  const head = [`# Repository ${path.basename(repository)}`, `Ref ${ref}, commit ${commit}${date === '' ? '' : `, ${date.slice(0, 10)}`}.`];
  const tree = files.length === 0 ? ['## Files (none)'] : [`## Files (${files.length})`, '', ...summarizeTree(files, bounds.treeLines)];
  const readmePart = readme === undefined ? [] : [`## README (${readme.name}${readme.cut ? `, its first ${bounds.readmeCharacters} characters` : ''})`, '', readme.text];
  const render = (kept: readonly RepositoryChange[]) => {
    const history =
      kept.length === 0 ? [] : [`## Recent changes (newest first, on the first-parent line of ${ref})`, '', kept.map((change) => renderChange(change).replace(/^## /, '### ')).join('\n\n')];
    return [head.join('\n'), tree.join('\n'), readmePart.join('\n'), history.join('\n')].filter((part) => part !== '').join('\n\n');
  };
  let kept = changes;
  let text = render(kept);
  while (text.length > bounds.totalCharacters && kept.length > 0) {
    kept = kept.slice(0, -1);
    text = render(kept);
  }
  return { text: cutText(text, bounds.totalCharacters), repository, ref, commit };
}

/** Every file path of the commit's tree, sorted as git sorts them. */
async function listTree(repository: string, commit: string, signal: AbortSignal | undefined): Promise<string[]> {
  const { stdout } = await runGit(['ls-tree', '-r', '-z', '--name-only', commit], { cwd: repository, signal, maxOutputBytes: 32 * 1024 * 1024, onOverflow: 'truncate' });
  return stdout.split('\0').filter((file) => file !== '');
}

/**
 * The tree in at most `maxLines` lines: every file when they fit; else the deepest level `d` at
 * which the files up to `d` folders deep, and the folders at depth `d` as `folder/ (n files)`,
 * fit; else the top level's first entries.
 */
export function summarizeTree(files: readonly string[], maxLines: number): string[] {
  if (files.length <= maxLines) return [...files];
  const linesAt = (depth: number): string[] => {
    const lines: string[] = [];
    const folderCounts = new Map<string, number>();
    for (const file of files) {
      const parts = file.split('/');
      if (parts.length <= depth) lines.push(file);
      else {
        const folder = `${parts.slice(0, depth).join('/')}/`;
        if (!folderCounts.has(folder)) lines.push(folder);
        folderCounts.set(folder, (folderCounts.get(folder) ?? 0) + 1);
      }
    }
    return lines.map((line) => {
      const count = folderCounts.get(line);
      return count === undefined ? line : `${line} (${count} file${count === 1 ? '' : 's'})`;
    });
  };
  let best: string[] | undefined;
  for (let depth = 1; ; depth += 1) {
    const lines = linesAt(depth);
    if (lines.length > maxLines) break;
    best = lines;
    // Deeper levels only add lines once every file is listed.
    if (lines.length === files.length) break;
  }
  if (best !== undefined) return best;
  const top = linesAt(1);
  return [...top.slice(0, Math.max(0, maxLines - 1)), `... and ${top.length - (maxLines - 1)} more entries`];
}

async function readReadme(
  repository: string,
  commit: string,
  files: readonly string[],
  characters: number,
  signal: AbortSignal | undefined,
): Promise<{ name: string; text: string; cut: boolean } | undefined> {
  const candidates = files.filter((file) => /^readme(\.[a-z]+)?$/i.test(file));
  const name = candidates.find((file) => /\.(md|markdown)$/i.test(file)) ?? candidates[0];
  if (name === undefined) return undefined;
  // A few bytes past the bound are enough to know it was cut.
  const { stdout } = await runGit(['cat-file', 'blob', `${commit}:${name}`], { cwd: repository, signal, maxOutputBytes: characters * 4 + 16, onOverflow: 'truncate' });
  const whole = stdout.replace(/\r\n/g, '\n').trim();
  if (whole.length <= characters) return { name, text: whole, cut: false };
  const head = whole.slice(0, characters);
  const lineEnd = head.lastIndexOf('\n');
  return { name, text: `${(lineEnd > characters / 2 ? head.slice(0, lineEnd) : head).trimEnd()}\n[…]`, cut: true };
}

async function recentChanges(repository: string, commit: string, bounds: RepositoryContextBounds, signal: AbortSignal | undefined): Promise<RepositoryChange[]> {
  if (bounds.changes <= 0) return [];
  // More than needed: merges that only synchronise branches are left out.
  const history = await readFirstParentHistory(repository, { ref: commit, maxCount: bounds.changes * 2, signal });
  const changedFiles = await readChangedFiles(repository, history, signal);
  const changes: RepositoryChange[] = [];
  for (const entry of history) {
    if (changes.length >= bounds.changes) break;
    const message = entry.parents.length > 1 ? parseMergeMessage(entry.message) : parseCommitMessage(entry.message);
    if (message.sync) continue;
    const files = changedFiles.get(entry.commit) ?? [];
    changes.push({
      commit: entry.commit,
      pullRequest: message.pullRequest,
      title: message.title,
      body: cutText(message.body, bounds.changeBodyCharacters),
      date: entry.date === '' ? null : entry.date,
      files: files.slice(0, bounds.changeFiles).map((file) => ({ path: file.path, added: file.added, removed: file.removed })),
      moreFiles: Math.max(0, files.length - bounds.changeFiles),
    });
  }
  return changes;
}
