/**
 * `write_file` and the one way the tools put bytes on disk: never through a symbolic link (the path
 * was checked by the sandbox, and the file is opened with O_NOFOLLOW as well), into folders made
 * inside the worktree.
 */
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveSandboxPath, type SandboxPath } from './sandbox-path.js';
import { RepositoryToolError, type RepositoryToolLimits } from './tool-limits.js';

export interface WriteFileInput {
  path: string;
  content: string;
}

/** Creates or replaces a file with `content`; makes its folders. */
export async function writeRepositoryFile(root: string, input: WriteFileInput, limits: Pick<RepositoryToolLimits, 'writeBytes'>): Promise<string> {
  const file = await resolveSandboxPath(root, input.path, 'write');
  if (file.relative === '') throw new RepositoryToolError('Give the path of a file, not the repository root.');
  const bytes = Buffer.byteLength(input.content, 'utf8');
  if (bytes > limits.writeBytes) throw new RepositoryToolError(`The content is ${bytes} bytes, more than the ${limits.writeBytes} bytes write_file takes; write a smaller file.`);
  if (file.exists) {
    const info = await stat(file.absolute);
    if (info.isDirectory()) throw new RepositoryToolError(`${file.relative} is a folder.`);
    if (!info.isFile()) throw new RepositoryToolError(`${file.relative} is not a regular file.`);
  }
  await writeWithinSandbox(file, input.content);
  const lines = input.content === '' ? 0 : input.content.split('\n').length - (input.content.endsWith('\n') ? 1 : 0);
  return `${file.exists ? 'Replaced' : 'Created'} ${file.relative} (${lines} line${lines === 1 ? '' : 's'}, ${bytes} bytes).`;
}

/** Writes `content` to a path `resolveSandboxPath(..., 'write')` returned. */
export async function writeWithinSandbox(file: SandboxPath, content: string): Promise<void> {
  try {
    if (!file.exists) await mkdir(path.dirname(file.absolute), { recursive: true });
    const handle = await open(file.absolute, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') throw new RepositoryToolError(`Cannot make ${file.relative}: a part of its path is a file, not a folder.`);
    if (code === 'ELOOP') throw new RepositoryToolError(`${file.relative} is a symbolic link, and the tools do not write through links.`);
    if (code === 'EISDIR') throw new RepositoryToolError(`${file.relative} is a folder.`);
    throw error;
  }
}
