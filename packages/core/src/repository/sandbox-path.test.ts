/** The sandbox's path rules, on their own and against real symbolic links. */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPathError, checkedRelativePath, resolveSandboxPath } from './sandbox-path.js';

describe('checkedRelativePath', () => {
  it('normalizes relative paths that stay inside', () => {
    expect(checkedRelativePath('.')).toBe('');
    expect(checkedRelativePath('')).toBe('');
    expect(checkedRelativePath('./src//app.ts')).toBe('src/app.ts');
    expect(checkedRelativePath('src/../README.md')).toBe('README.md');
    expect(checkedRelativePath('src/')).toBe('src');
    expect(checkedRelativePath('.github/workflows/ci.yml')).toBe('.github/workflows/ci.yml');
    expect(checkedRelativePath('.gitignore')).toBe('.gitignore');
  });

  it.each([
    ['..', 'outside'],
    ['../x', 'outside'],
    ['src/../../x', 'outside'],
    ['/etc/passwd', 'Absolute'],
    ['/', 'Absolute'],
    ['~/.ssh/id_rsa', 'Absolute'],
    ['C:/Windows/win.ini', 'Absolute'],
    ['src\\..\\..\\x', 'forward slashes'],
    ['a\0b', 'NUL'],
    ['.git', '.git'],
    ['.git/config', '.git'],
    ['src/.git/HEAD', '.git'],
    ['.GIT/config', '.git'],
    ['.git./config', '.git'],
  ])('refuses %j', (requested, reason) => {
    expect(() => checkedRelativePath(requested)).toThrow(SandboxPathError);
    expect(() => checkedRelativePath(requested)).toThrow(reason);
  });
});

describe('resolveSandboxPath', () => {
  let base: string;
  let root: string;

  beforeAll(async () => {
    base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'sleeptime-sandbox-')));
    root = path.join(base, 'tree');
    await mkdir(path.join(root, 'src'), { recursive: true });
    await writeFile(path.join(root, 'src/app.ts'), 'app\n');
    await writeFile(path.join(base, 'secret.txt'), 'secret\n');
    await symlink('src/app.ts', path.join(root, 'app-link'));
    await symlink('src', path.join(root, 'src-link'));
    await symlink('../secret.txt', path.join(root, 'secret-link'));
    await symlink(base, path.join(root, 'base-link'));
    await symlink('/etc', path.join(root, 'etc-link'));
    await symlink('no-such-file', path.join(root, 'dangling'));
    await symlink('../../nowhere', path.join(root, 'dangling-out'));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('resolves files, folders and paths that do not exist yet inside the root', async () => {
    expect(await resolveSandboxPath(root, 'src/app.ts', 'read')).toEqual({ absolute: path.join(root, 'src/app.ts'), relative: 'src/app.ts', exists: true });
    expect(await resolveSandboxPath(root, '.', 'read')).toEqual({ absolute: root, relative: '', exists: true });
    expect(await resolveSandboxPath(root, 'src/new/file.ts', 'write')).toEqual({ absolute: path.join(root, 'src/new/file.ts'), relative: 'src/new/file.ts', exists: false });
    expect((await resolveSandboxPath(root, 'src/app.ts/x', 'read')).exists).toBe(false);
  });

  it('follows links whose target is inside on reads, to the real path', async () => {
    expect(await resolveSandboxPath(root, 'app-link', 'read')).toMatchObject({ relative: 'src/app.ts', exists: true });
    expect(await resolveSandboxPath(root, 'src-link/app.ts', 'read')).toMatchObject({ relative: 'src/app.ts', exists: true });
  });

  it.each(['secret-link', 'base-link/secret.txt', 'base-link/tree/src/app.ts', 'etc-link/hostname', 'etc-link', 'dangling-out'])('refuses %j on reads: it leads outside', async (requested) => {
    await expect(resolveSandboxPath(root, requested, 'read')).rejects.toThrow(/outside the repository/);
  });

  it('names a dangling link inside as dangling', async () => {
    await expect(resolveSandboxPath(root, 'dangling', 'read')).rejects.toThrow(/does not exist/);
  });

  it.each(['app-link', 'src-link/new.ts', 'secret-link', 'etc-link/x', 'dangling', 'dangling-out', 'base-link/tree/x'])('refuses %j on writes: no link is written through', async (requested) => {
    await expect(resolveSandboxPath(root, requested, 'write')).rejects.toThrow(/symbolic link/);
  });

  it('points a refused write through an inside link at its target', async () => {
    await expect(resolveSandboxPath(root, 'app-link', 'write')).rejects.toThrow('edit the file it points to, src/app.ts, instead');
  });
});
