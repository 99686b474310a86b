/**
 * A small git repository a test builds for itself in a temporary folder: files, commits, branches
 * and `--no-ff` merges, with a fixed author and one-hour steps of committer time from 2024-01-01, so
 * that histories are the same on every machine. The user's git configuration is not read.
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../repository/git.js';

export interface TestGitRepository {
  /** The repository's folder (its real path). */
  dir: string;
  /** Runs git in the repository; returns its standard output, trimmed. */
  git(...args: string[]): Promise<string>;
  /** Writes files (relative paths, folders made); `null` deletes one. */
  write(files: Record<string, string | null>): Promise<void>;
  /** Writes `files`, stages everything and commits it; returns the new commit's SHA. */
  commit(message: string, files?: Record<string, string | null>): Promise<string>;
  /** `git checkout -b name` from the current commit (or `from`). */
  branch(name: string, from?: string): Promise<void>;
  /** `git checkout name`. */
  checkout(name: string): Promise<void>;
  /** `git merge --no-ff name -m message` into the current branch; returns the merge commit's SHA. */
  merge(name: string, message: string): Promise<string>;
  /** Deletes the folder. */
  remove(): Promise<void>;
}

export interface TestGitRepositoryOptions {
  /** Default `main`. */
  defaultBranch?: string;
  /** The repository folder's name (inside a temporary folder of its own); default a random one. */
  name?: string;
}

export async function createTestGitRepository(options: TestGitRepositoryOptions = {}): Promise<TestGitRepository> {
  const container = await realpath(await mkdtemp(path.join(os.tmpdir(), 'sleeptime-test-repo-')));
  const dir = options.name === undefined ? container : path.join(container, options.name);
  await mkdir(dir, { recursive: true });
  let tick = 0;
  const environment = () => {
    tick += 1;
    const date = new Date(Date.UTC(2024, 0, 1) + tick * 3_600_000).toISOString();
    return {
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: os.devNull,
      GIT_AUTHOR_NAME: 'Test Author',
      GIT_AUTHOR_EMAIL: 'author@example.com',
      GIT_COMMITTER_NAME: 'Test Author',
      GIT_COMMITTER_EMAIL: 'author@example.com',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    };
  };
  const git = async (...args: string[]) => (await runGit(args, { cwd: dir, env: environment() })).stdout.trim();
  await git('init', '--quiet', `--initial-branch=${options.defaultBranch ?? 'main'}`);

  const write = async (files: Record<string, string | null>) => {
    for (const [relative, content] of Object.entries(files)) {
      const absolute = path.join(dir, relative);
      if (content === null) {
        await rm(absolute, { force: true });
        continue;
      }
      await mkdir(path.dirname(absolute), { recursive: true });
      await writeFile(absolute, content);
    }
  };
  return {
    dir,
    git,
    write,
    async commit(message, files = {}) {
      await write(files);
      await git('add', '--all');
      await git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    async branch(name, from) {
      await git('checkout', '--quiet', '-b', name, ...(from === undefined ? [] : [from]));
    },
    async checkout(name) {
      await git('checkout', '--quiet', name);
    },
    async merge(name, message) {
      await git('merge', '--quiet', '--no-ff', '-m', message, name);
      return git('rev-parse', 'HEAD');
    },
    async remove() {
      await rm(container, { recursive: true, force: true });
    },
  };
}
