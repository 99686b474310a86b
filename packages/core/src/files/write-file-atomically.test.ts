import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomically } from './write-file-atomically.js';

describe('writeFileAtomically', () => {
  it('creates the folder, replaces the file whole, and leaves no temporary file', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-atomic-'));
    const target = path.join(directory, 'nested', 'file.txt');
    await writeFileAtomically(target, 'first');
    await writeFileAtomically(target, 'second');
    expect(await readFile(target, 'utf8')).toBe('second');
    expect(await readdir(path.dirname(target))).toEqual(['file.txt']);
  });

  it('keeps the old file and removes the temporary one when the rename fails', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'sleeptime-atomic-'));
    // A folder where the file should go: the rename over it fails after the temporary file exists.
    const blocked = path.join(directory, 'blocked');
    await writeFile(path.join(directory, 'keep.txt'), 'old');
    await import('node:fs/promises').then((fs) => fs.mkdir(path.join(blocked, 'child'), { recursive: true }));
    await expect(writeFileAtomically(blocked, 'new')).rejects.toThrow();
    expect((await readdir(directory)).sort()).toEqual(['blocked', 'keep.txt']);
  });
});
