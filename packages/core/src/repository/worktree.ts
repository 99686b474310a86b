/**
 * A throwaway checkout of one commit of a repository, for agents to read and edit.
 *
 * The user's repository is never written to: no `git worktree add` (which registers the checkout in
 * the repository's own `.git/worktrees`), no fetch into it, no lock. Instead a fresh git directory
 * is made in a temporary folder whose object store borrows the repository's objects (an
 * `objects/info/alternates` entry, as `git clone --shared` sets up), and the commit's tree is
 * checked out beside it:
 *
 *     <tmp>/sleeptime-worktree-XXXXXX/
 *       owner.json   which process made it (for the clean-up after a crash)
 *       git/         the worktree's own git directory: its index, its HEAD, any object `git add` writes
 *       tree/        the checked-out files: the agents' root; it has no `.git` of its own
 *
 * Git runs there with the user's global and system configuration switched off (no hooks path, no
 * autocrlf, no filters from elsewhere), so the files are the commit's bytes.
 *
 * Removal deletes the whole folder. A process that dies first leaves it behind: the next
 * `createWorktree` (or `sweepAbandonedWorktrees`) removes every such folder whose owner process,
 * on this machine, is gone; and a normal exit removes the process's own folders synchronously.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SleeptimeError, userError } from '../errors.js';
import { runGit, type GitOptions, type GitResult } from './git.js';

export interface CreateWorktreeOptions {
  /** A folder inside the repository (its top level is found), or a bare repository. */
  repository: string;
  /** Anything `git rev-parse` takes that names a commit: a SHA, a branch, `HEAD~3`. */
  commit: string;
  /** Where the worktree folder is made (default: the system's temporary folder). */
  parentDir?: string;
  signal?: AbortSignal;
}

export interface RepositoryWorktree {
  /** The checked-out tree (a real path, symbolic links resolved): every tool path is relative to it. */
  readonly root: string;
  /** The full SHA of the commit checked out. */
  readonly baseCommit: string;
  /** The repository the commit came from (its top level, or the bare repository). */
  readonly repository: string;
  /** The folder holding the tree and its git directory; removed by `remove`. */
  readonly folder: string;
  /** Runs git on the worktree's own git directory and tree (never on the user's repository). */
  git(args: readonly string[], options?: Omit<GitOptions, 'cwd' | 'env'>): Promise<GitResult>;
  /** Deletes the folder; safe to call more than once. */
  remove(): Promise<void>;
}

export const worktreeFolderPrefix = 'sleeptime-worktree-';
const ownerFileName = 'owner.json';
/** A folder without an owner file (a crash between making it and writing the file) is left alone this long. */
const ownerlessGraceMs = 60 * 60 * 1000;

// Git in the worktree reads no configuration but its own git directory's.
const isolatedGitEnvironment: Record<string, string> = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull, GIT_CONFIG_COUNT: '0' };

const liveFolders = new Set<string>();
let exitHookInstalled = false;

/** Checks out `commit` of `repository` into a new temporary folder; see the file's header. */
export async function createWorktree(options: CreateWorktreeOptions): Promise<RepositoryWorktree> {
  const parentDir = options.parentDir ?? os.tmpdir();
  await sweepAbandonedWorktrees(parentDir).catch(() => []);
  const source = await locateRepository(options.repository, options.signal);
  const baseCommit = await resolveCommit(source.topLevel, options.commit, options.signal);

  await mkdir(parentDir, { recursive: true });
  const folder = await realpath(await mkdtemp(path.join(parentDir, worktreeFolderPrefix)));
  trackFolder(folder);
  try {
    await writeFile(path.join(folder, ownerFileName), `${JSON.stringify({ pid: process.pid, hostname: os.hostname(), createdAt: new Date().toISOString() })}\n`);
    const gitDir = path.join(folder, 'git');
    const root = path.join(folder, 'tree');
    await mkdir(root);
    const git = (args: readonly string[], gitOptions: Omit<GitOptions, 'cwd' | 'env'> = {}) =>
      runGit([`--git-dir=${gitDir}`, `--work-tree=${root}`, ...args], { ...gitOptions, cwd: root, env: isolatedGitEnvironment });
    // `--template=` leaves out the sample hooks; core.bare=false lets git use the tree beside it.
    await runGit(['init', '--quiet', '--bare', '--template=', gitDir], { env: isolatedGitEnvironment, signal: options.signal });
    await runGit([`--git-dir=${gitDir}`, 'config', 'core.bare', 'false'], { env: isolatedGitEnvironment, signal: options.signal });
    await mkdir(path.join(gitDir, 'objects', 'info'), { recursive: true });
    await writeFile(path.join(gitDir, 'objects', 'info', 'alternates'), `${source.objectsDir}\n`);
    await git(['read-tree', '--reset', '-u', baseCommit], { signal: options.signal });
    await git(['update-ref', '--no-deref', 'HEAD', baseCommit], { signal: options.signal });

    let removed = false;
    return {
      root,
      baseCommit,
      repository: source.topLevel,
      folder,
      git,
      async remove() {
        if (removed) return;
        removed = true;
        await removeWorktreeFolder(folder);
      },
    };
  } catch (error) {
    await removeWorktreeFolder(folder).catch(() => {});
    throw error;
  }
}

/**
 * Removes the worktree folders under `parentDir` (default: the temporary folder) left behind by
 * processes of this machine that are no longer running; returns the folders removed.
 */
export async function sweepAbandonedWorktrees(parentDir: string = os.tmpdir()): Promise<string[]> {
  let entries: string[];
  try {
    entries = (await readdir(parentDir)).filter((name) => name.startsWith(worktreeFolderPrefix));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of entries) {
    const folder = path.join(parentDir, name);
    if (liveFolders.has(folder)) continue;
    if (await isAbandoned(folder)) {
      await removeWorktreeFolder(folder).catch(() => {});
      if (!existsSync(folder)) removed.push(folder);
    }
  }
  return removed;
}

async function isAbandoned(folder: string): Promise<boolean> {
  let owner: { pid?: unknown; hostname?: unknown };
  try {
    owner = JSON.parse(await readFile(path.join(folder, ownerFileName), 'utf8')) as typeof owner;
  } catch {
    // No owner file (yet, or ever): only an old folder counts as abandoned.
    const info = await stat(folder).catch(() => undefined);
    return info !== undefined && info.isDirectory() && Date.now() - info.mtimeMs > ownerlessGraceMs;
  }
  // A folder made on another machine (a shared temporary folder) is that machine's to judge.
  if (owner.hostname !== os.hostname() || typeof owner.pid !== 'number') return false;
  return !processIsAlive(owner.pid);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is only someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function removeWorktreeFolder(folder: string): Promise<void> {
  // Only ever a folder this module names: never a path handed in from elsewhere.
  if (!path.basename(folder).startsWith(worktreeFolderPrefix)) throw new Error(`refusing to remove ${folder}: not a worktree folder`);
  await rm(folder, { recursive: true, force: true, maxRetries: 3 });
  liveFolders.delete(folder);
}

function trackFolder(folder: string): void {
  liveFolders.add(folder);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const live of liveFolders) rmSync(live, { recursive: true, force: true });
  });
}

interface SourceRepository {
  topLevel: string;
  objectsDir: string;
}

async function locateRepository(repository: string, signal: AbortSignal | undefined): Promise<SourceRepository> {
  const absolute = path.resolve(repository);
  if (!existsSync(absolute)) throw userError('repository_not_found', `No such folder: ${absolute}`, { path: absolute });
  let bare: boolean;
  let commonDir: string;
  try {
    const { stdout } = await runGit(['rev-parse', '--is-bare-repository', '--git-common-dir'], { cwd: absolute, signal });
    const [bareLine, commonDirLine] = stdout.split('\n');
    bare = bareLine === 'true';
    // Relative to the folder git ran in (`--path-format=absolute` needs git 2.31).
    commonDir = path.resolve(absolute, commonDirLine ?? '');
  } catch (error) {
    if (SleeptimeError.isInstance(error) && error.code === 'git_failed') {
      throw userError('repository_not_found', `${absolute} is not a git repository (${String(error.details.gitMessage ?? '')}).`, { path: absolute });
    }
    throw error;
  }
  const objectsDir = path.join(commonDir, 'objects');
  // The alternates file is one path a line.
  if (/[\n\r]/.test(objectsDir)) throw userError('repository_path_unsupported', `The repository's path contains a line break: ${JSON.stringify(objectsDir)}`);
  const topLevel = bare ? commonDir : (await runGit(['rev-parse', '--show-toplevel'], { cwd: absolute, signal })).stdout.trim();
  return { topLevel, objectsDir };
}

/** The full SHA of the commit `name` names in `repository`; `commit_not_found` when it names none. */
export async function resolveCommit(repository: string, name: string, signal?: AbortSignal): Promise<string> {
  if (name.startsWith('-') || name.trim() === '') throw userError('commit_not_found', `Not a commit name: ${JSON.stringify(name)}`);
  try {
    const { stdout } = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${name}^{commit}`], { cwd: repository, signal });
    return stdout.trim();
  } catch (error) {
    if (SleeptimeError.isInstance(error) && error.code === 'git_failed') {
      throw userError('commit_not_found', `No commit ${JSON.stringify(name)} in ${repository}.`, { repository, commit: name });
    }
    throw error;
  }
}
