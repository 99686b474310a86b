/** Worktrees of a real repository: the right files, the user's repository untouched, and removal, even after a crash. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGitRepository, sleeptimeErrorOf, type TestGitRepository } from '../testing/index.js';
import { createWorktree, sweepAbandonedWorktrees, worktreeFolderPrefix } from './worktree.js';

let repository: TestGitRepository;
let first: string;
let parentDir: string;

/** Everything about the repository that a checkout elsewhere could change. */
async function repositoryState(repo: TestGitRepository): Promise<string> {
  const gitDir = path.join(repo.dir, '.git');
  return JSON.stringify({
    refs: await repo.git('for-each-ref', '--format=%(refname) %(objectname)'),
    head: await repo.git('rev-parse', 'HEAD'),
    status: await repo.git('status', '--porcelain', '--untracked-files=all'),
    worktrees: await repo.git('worktree', 'list', '--porcelain'),
    objects: await repo.git('count-objects', '-v'),
    gitEntries: (await readdir(gitDir)).sort(),
    index: (await readFile(path.join(gitDir, 'index'))).toString('base64'),
    config: await readFile(path.join(gitDir, 'config'), 'utf8'),
  });
}

beforeAll(async () => {
  repository = await createTestGitRepository();
  first = await repository.commit('First', { 'README.md': '# Demo\n', 'src/app.ts': 'export const version = 1;\n' });
  await repository.commit('Second', { 'src/app.ts': 'export const version = 2;\n', 'src/extra.ts': 'export const extra = true;\n' });
  parentDir = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-worktrees-'));
});

afterAll(async () => {
  await repository.remove();
  await rm(parentDir, { recursive: true, force: true });
});

describe('createWorktree', () => {
  it("checks out the base commit's files, with no .git in the tree, and leaves the user's repository as it was", async () => {
    const before = await repositoryState(repository);
    const worktree = await createWorktree({ repository: repository.dir, commit: first, parentDir });
    try {
      expect(worktree.baseCommit).toBe(first);
      expect(worktree.repository).toBe(repository.dir);
      expect((await readdir(worktree.root)).sort()).toEqual(['README.md', 'src']);
      expect(await readFile(path.join(worktree.root, 'src/app.ts'), 'utf8')).toBe('export const version = 1;\n');
      expect(existsSync(path.join(worktree.root, 'src/extra.ts'))).toBe(false);
      expect(worktree.root.startsWith(path.join(parentDir, worktreeFolderPrefix)) || worktree.root.includes(worktreeFolderPrefix)).toBe(true);

      // Changes in the worktree, staged in its own index, stay there.
      await writeFile(path.join(worktree.root, 'src/app.ts'), 'export const version = 99;\n');
      await worktree.git(['add', '--all']);
      expect(await readFile(path.join(repository.dir, 'src/app.ts'), 'utf8')).toBe('export const version = 2;\n');
      expect(await repositoryState(repository)).toBe(before);
    } finally {
      await worktree.remove();
    }
    expect(existsSync(worktree.folder)).toBe(false);
    await worktree.remove();
    expect(await repositoryState(repository)).toBe(before);
  });

  it('takes any name of a commit and a folder inside the repository', async () => {
    const worktree = await createWorktree({ repository: path.join(repository.dir, 'src'), commit: 'HEAD~1', parentDir });
    try {
      expect(worktree.baseCommit).toBe(first);
    } finally {
      await worktree.remove();
    }
  });

  it('refuses an unknown commit, an option-like name and a folder that is not a repository, leaving nothing behind', async () => {
    expect((await sleeptimeErrorOf(createWorktree({ repository: repository.dir, commit: 'no-such-branch', parentDir }))).code).toBe('commit_not_found');
    expect((await sleeptimeErrorOf(createWorktree({ repository: repository.dir, commit: '--output=/tmp/x', parentDir }))).code).toBe('commit_not_found');
    const plain = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-not-a-repo-'));
    try {
      const error = await sleeptimeErrorOf(createWorktree({ repository: plain, commit: 'HEAD', parentDir }));
      expect([error.code, error.category]).toEqual(['repository_not_found', 'user']);
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
    expect((await readdir(parentDir)).filter((name) => name.startsWith(worktreeFolderPrefix))).toEqual([]);
  });
});

describe('clean-up after a crash', () => {
  it("removes folders left by a process that is gone, on the next createWorktree, and keeps live processes' folders", async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const abandoned = path.join(parentDir, `${worktreeFolderPrefix}crashed`);
    await mkdir(path.join(abandoned, 'tree'), { recursive: true });
    await writeFile(path.join(abandoned, 'owner.json'), JSON.stringify({ pid: deadPid, hostname: os.hostname() }));
    const alive = path.join(parentDir, `${worktreeFolderPrefix}alive`);
    await mkdir(alive);
    await writeFile(path.join(alive, 'owner.json'), JSON.stringify({ pid: process.pid, hostname: os.hostname() }));
    const elsewhere = path.join(parentDir, `${worktreeFolderPrefix}other-machine`);
    await mkdir(elsewhere);
    await writeFile(path.join(elsewhere, 'owner.json'), JSON.stringify({ pid: deadPid, hostname: `not-${os.hostname()}` }));

    const worktree = await createWorktree({ repository: repository.dir, commit: 'HEAD', parentDir });
    await worktree.remove();
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect(existsSync(elsewhere)).toBe(true);
    await rm(alive, { recursive: true });
    await rm(elsewhere, { recursive: true });
  });

  it('removes the folders of a process that was killed before it could remove them', async () => {
    const script = [
      `const { createWorktree } = await import(${JSON.stringify(new URL('./worktree.ts', import.meta.url).href)});`,
      `const worktree = await createWorktree({ repository: ${JSON.stringify(repository.dir)}, commit: 'HEAD', parentDir: ${JSON.stringify(parentDir)} });`,
      `process.stdout.write(worktree.folder);`,
      `process.kill(process.pid, 'SIGKILL');`,
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd() });
    const folder = child.stdout;
    expect(child.signal).toBe('SIGKILL');
    expect(folder.includes(worktreeFolderPrefix) && existsSync(folder)).toBe(true);
    expect(await sweepAbandonedWorktrees(parentDir)).toEqual([folder]);
    expect(existsSync(folder)).toBe(false);
  });
});
