/**
 * `search`: lines of the worktree's files that match a text or a regular expression, through
 * `git grep` on the worktree (tracked files and new untracked ones, not ignored ones; binary files
 * and symbolic links skipped: git grep reads neither). Bounded in matches, line length and time.
 */
import { SleeptimeError } from '../errors.js';
import { resolveSandboxPath } from './sandbox-path.js';
import { RepositoryToolError, type RepositoryToolLimits } from './tool-limits.js';
import type { RepositoryWorktree } from './worktree.js';

export interface SearchInput {
  pattern: string;
  /** A folder or file to search in, relative to the root (default: everything). */
  path?: string;
  /** A POSIX extended regular expression instead of a plain text (default false). */
  regex?: boolean;
  /** Default false: letter case is ignored. */
  caseSensitive?: boolean;
  /** At most this many matches (default and ceiling: the limit). */
  maxResults?: number;
}

const maxPatternLength = 1000;

/** `path:line: text` a match, at most `maxResults`; says when more were left out. */
export async function searchRepository(
  worktree: Pick<RepositoryWorktree, 'root' | 'git'>,
  input: SearchInput,
  limits: Pick<RepositoryToolLimits, 'searchMatches' | 'searchLineCharacters' | 'searchTimeoutMs'>,
  signal?: AbortSignal,
): Promise<string> {
  if (input.pattern === '') throw new RepositoryToolError('The pattern is empty.');
  if (input.pattern.length > maxPatternLength) throw new RepositoryToolError(`The pattern is longer than ${maxPatternLength} characters.`);
  if (/[\n\r\0]/.test(input.pattern)) throw new RepositoryToolError('The pattern must be one line.');
  const maxResults = Math.min(limits.searchMatches, Math.max(1, Math.floor(input.maxResults ?? limits.searchMatches)));
  const where = await resolveSandboxPath(worktree.root, input.path ?? '.', 'read');
  if (!where.exists) throw new RepositoryToolError(`No such file or folder: ${where.relative}`);

  const args = ['grep', '--untracked', '-I', '-n', '-z', '--no-color', '--full-name', input.regex === true ? '-E' : '-F'];
  if (input.caseSensitive !== true) args.push('-i');
  // The pattern after -e is never taken for an option; a literal pathspec has no magic (`:(glob)`...).
  args.push('-e', input.pattern, '--');
  if (where.relative !== '') args.push(`:(literal)${where.relative}`);

  let stdout: string;
  let truncated: boolean;
  try {
    // Room for the matches asked for and then some, so that "more matches" can be told apart.
    const result = await worktree.git(args, {
      okExitCodes: [1],
      maxOutputBytes: (maxResults + 1) * (limits.searchLineCharacters + 4096),
      onOverflow: 'truncate',
      timeoutMs: limits.searchTimeoutMs,
      signal,
    });
    stdout = result.stdout;
    truncated = result.truncated;
  } catch (error) {
    if (SleeptimeError.isInstance(error) && error.code === 'git_failed') throw new RepositoryToolError(`The search failed: ${String(error.details.gitMessage ?? error.message).replace(/^fatal: /, '')}`);
    if (SleeptimeError.isInstance(error) && error.code === 'git_timeout') throw new RepositoryToolError(`The search took longer than ${limits.searchTimeoutMs / 1000} s; search a smaller folder or a simpler pattern.`);
    throw error;
  }

  const matches: string[] = [];
  let more = false;
  const records = stdout.split('\n');
  // A cut output ends inside a line: that line is incomplete.
  if (truncated) records.pop();
  for (const record of records) {
    if (record === '') continue;
    // -z: path NUL line NUL text
    const [file, line, ...rest] = record.split('\0');
    if (file === undefined || line === undefined || rest.length === 0) continue;
    if (matches.length >= maxResults) {
      more = true;
      break;
    }
    const text = rest.join('\0').trim();
    const cut = text.length > limits.searchLineCharacters ? `${text.slice(0, limits.searchLineCharacters)}…` : text;
    matches.push(`${file}:${line}: ${cut}`);
  }
  if (matches.length === 0) return truncated ? 'No whole match line could be shown (the matching lines are too long).' : `No matches for ${JSON.stringify(input.pattern)}${where.relative === '' ? '' : ` in ${where.relative}`}.`;
  if (more || truncated) matches.push(`(more matches not shown: narrow the pattern or the path; at most ${maxResults} are shown)`);
  return matches.join('\n');
}
