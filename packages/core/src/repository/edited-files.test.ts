/** The edited-file set of a worktree, from git's diff against the base commit. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGitRepository, type TestGitRepository } from '../testing/index.js';
import { editedFiles, parseNameStatus } from './edited-files.js';
import { createWorktree } from './worktree.js';

let repository: TestGitRepository;

beforeAll(async () => {
  repository = await createTestGitRepository();
  await repository.commit('Initial', {
    '.gitignore': 'build/\n',
    'src/app.ts': 'export const app = 1;\n',
    'src/util.ts': Array.from({ length: 20 }, (_, index) => `export const value${index} = ${index};`).join('\n'),
    'docs/guide.md': 'Read me.\n',
    'README.md': '# Demo\n',
  });
});

afterAll(async () => {
  await repository.remove();
});

describe('editedFiles', () => {
  it('is empty for an untouched worktree', async () => {
    const worktree = await createWorktree({ repository: repository.dir, commit: 'HEAD' });
    try {
      expect(await editedFiles(worktree)).toEqual({ files: [], changes: [] });
    } finally {
      await worktree.remove();
    }
  });

  it('lists modified, added, deleted and renamed files (a rename once, under its new path), not ignored ones', async () => {
    const worktree = await createWorktree({ repository: repository.dir, commit: 'HEAD' });
    try {
      const at = (relative: string) => path.join(worktree.root, relative);
      await writeFile(at('src/app.ts'), 'export const app = 2;\n');
      await mkdir(at('src/feature'));
      await writeFile(at('src/feature/csv.ts'), 'export const csv = true;\n');
      await rm(at('docs/guide.md'));
      await rename(at('src/util.ts'), at('src/helpers.ts'));
      await mkdir(at('build'));
      await writeFile(at('build/out.js'), 'ignored\n');

      const edited = await editedFiles(worktree);
      expect(edited.files).toEqual(['docs/guide.md', 'src/app.ts', 'src/feature/csv.ts', 'src/helpers.ts']);
      expect(edited.changes).toEqual([
        { path: 'docs/guide.md', status: 'deleted' },
        { path: 'src/app.ts', status: 'modified' },
        { path: 'src/feature/csv.ts', status: 'added' },
        { path: 'src/helpers.ts', status: 'renamed', previousPath: 'src/util.ts' },
      ]);
      // Asking again gives the same answer; a file edited back to its base content drops out.
      await writeFile(at('src/app.ts'), 'export const app = 1;\n');
      expect((await editedFiles(worktree)).files).toEqual(['docs/guide.md', 'src/feature/csv.ts', 'src/helpers.ts']);
      expect(await repository.git('status', '--porcelain')).toBe('');
    } finally {
      await worktree.remove();
    }
  });
});

describe('parseNameStatus', () => {
  it('reads renames, copies, type changes and paths with spaces or newlines', () => {
    expect(parseNameStatus('R087\0old name.ts\0new name.ts\0C100\0a.ts\0b.ts\0T\0link\0M\0odd\nname\0')).toEqual([
      { path: 'b.ts', status: 'copied', previousPath: 'a.ts' },
      { path: 'link', status: 'type-changed' },
      { path: 'new name.ts', status: 'renamed', previousPath: 'old name.ts' },
      { path: 'odd\nname', status: 'modified' },
    ]);
    expect(parseNameStatus('')).toEqual([]);
  });
});
