/**
 * What `sleeptime data swe-features` reads from a repository, all through read-only git commands
 * (`log`, `diff-tree`, `rev-parse`): the first-parent line of a branch with each commit's message,
 * and the files each commit changed against its first parent, with line counts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SleeptimeError, userError } from '../errors.js';
import { runGit } from './git.js';

export interface HistoryCommit {
  commit: string;
  parents: string[];
  /** Committer date, ISO 8601. */
  date: string;
  message: string;
}

export interface ChangedFile {
  /** The new path of a rename. */
  path: string;
  previousPath?: string;
  /** Null for a binary file. */
  added: number | null;
  removed: number | null;
}

/**
 * The first-parent line from `ref` back (newest first), at most `maxCount` commits; with `since`
 * (anything `git log --since` takes), only the commits from then on.
 */
export async function readFirstParentHistory(repository: string, options: { ref: string; maxCount: number; since?: string; signal?: AbortSignal }): Promise<HistoryCommit[]> {
  const args = ['log', '--first-parent', `--max-count=${options.maxCount}`, '--format=%x1e%H%x00%P%x00%cI%x00%B'];
  if (options.since !== undefined) args.push(`--since=${options.since}`);
  args.push('--end-of-options', options.ref, '--');
  const { stdout } = await runGit(args, { cwd: repository, signal: options.signal });
  const commits: HistoryCommit[] = [];
  for (const record of stdout.split('\x1e')) {
    if (record.trim() === '') continue;
    const [commit, parents, date, ...message] = record.split('\0');
    if (commit === undefined || !/^[0-9a-f]{40,64}$/.test(commit)) continue;
    commits.push({ commit, parents: (parents ?? '').split(' ').filter((parent) => parent !== ''), date: date ?? '', message: message.join('\0').trim() });
  }
  return commits;
}

/**
 * The files each commit changed against its first parent (a merge: everything its pull request
 * brought in; a root commit: everything it added), with rename detection; one `git diff-tree`
 * process for all of them.
 */
export async function readChangedFiles(repository: string, commits: readonly HistoryCommit[], signal?: AbortSignal): Promise<Map<string, ChangedFile[]>> {
  const changes = new Map<string, ChangedFile[]>(commits.map((commit) => [commit.commit, []]));
  if (commits.length === 0) return changes;
  // `<commit> <parent>` a line: diff-tree compares the commit with that parent only.
  const input = commits.map((commit) => (commit.parents[0] === undefined ? commit.commit : `${commit.commit} ${commit.parents[0]}`)).join('\n');
  const { stdout } = await runGit(['diff-tree', '--stdin', '-r', '--root', '-z', '--numstat', '-M'], { cwd: repository, input: `${input}\n`, signal });
  const tokens = stdout.split('\0');
  let current: ChangedFile[] | undefined;
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index] as string;
    if (token === '') continue;
    if (!token.includes('\t')) {
      // A commit header (diff-tree prints the commit's id before its files).
      current = changes.get(token.trim());
      continue;
    }
    const [added, removed, filePath] = token.split('\t');
    const count = (value: string | undefined) => (value === undefined || value === '-' ? null : Number(value));
    if (filePath === '') {
      // A rename: `added TAB removed TAB NUL old NUL new`.
      const previousPath = tokens[index + 1] as string;
      const newPath = tokens[index + 2] as string;
      index += 2;
      current?.push({ path: newPath, previousPath, added: count(added), removed: count(removed) });
    } else {
      current?.push({ path: filePath as string, added: count(added), removed: count(removed) });
    }
  }
  return changes;
}

/** Subjects of the commits a merge brought in (its second parent's side), oldest first, at most `maxCount`. */
export async function readMergedCommitSubjects(repository: string, merge: HistoryCommit, maxCount: number, signal?: AbortSignal): Promise<string[]> {
  const [first, second] = merge.parents;
  if (first === undefined || second === undefined) return [];
  // --max-count picks the newest, --reverse then lists them oldest first.
  const { stdout } = await runGit(['log', '--no-merges', '--reverse', `--max-count=${maxCount}`, '--format=%s', `${first}..${second}`, '--'], { cwd: repository, signal });
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

/** The repository's top level (or a bare repository's folder); `repository_not_found` for a folder that is none. */
export async function repositoryTopLevel(repository: string, signal?: AbortSignal): Promise<string> {
  const absolute = path.resolve(repository);
  if (!existsSync(absolute)) throw userError('repository_not_found', `No such folder: ${absolute}`, { path: absolute });
  let bare: string;
  try {
    bare = (await runGit(['rev-parse', '--is-bare-repository'], { cwd: absolute, signal })).stdout.trim();
  } catch (error) {
    if (SleeptimeError.isInstance(error) && error.code === 'git_failed') {
      throw userError('repository_not_found', `${absolute} is not a git repository.`, { path: absolute });
    }
    throw error;
  }
  if (bare === 'true') return absolute;
  return (await runGit(['rev-parse', '--show-toplevel'], { cwd: absolute, signal })).stdout.trim();
}
