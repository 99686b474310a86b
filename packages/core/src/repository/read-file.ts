/** `read_file`: lines of a text file of the worktree, bounded in lines and characters. */
import { readFile, stat } from 'node:fs/promises';
import { resolveSandboxPath } from './sandbox-path.js';
import { RepositoryToolError, type RepositoryToolLimits } from './tool-limits.js';

export interface ReadFileInput {
  path: string;
  /** The first line to show, from 1 (default 1). */
  startLine?: number;
  /** The last line to show (default: as many as the limits allow). */
  endLine?: number;
}

/**
 * A header (`path: lines a-b of n`) and the lines as they are in the file (no line numbers added,
 * so what the model copies into `edit_file` matches the file). A cut read ends with where to read
 * on. Binary files and files over `readFileBytes` are described, not shown.
 */
export async function readRepositoryFile(root: string, input: ReadFileInput, limits: Pick<RepositoryToolLimits, 'readLines' | 'readCharacters' | 'readFileBytes'>): Promise<string> {
  const file = await resolveSandboxPath(root, input.path, 'read');
  const shown = file.relative === '' ? '.' : file.relative;
  if (!file.exists) throw new RepositoryToolError(`No such file: ${shown}`);
  const info = await stat(file.absolute);
  if (info.isDirectory()) throw new RepositoryToolError(`${shown} is a folder: list it with list_files.`);
  if (!info.isFile()) throw new RepositoryToolError(`${shown} is not a regular file.`);
  if (info.size > limits.readFileBytes) throw new RepositoryToolError(`${shown} is ${info.size} bytes, more than the ${limits.readFileBytes} bytes read_file opens; search it instead.`);
  const bytes = await readFile(file.absolute);
  if (isBinary(bytes)) return `${shown} is a binary file (${bytes.length} bytes); it is not shown.`;
  if (bytes.length === 0) return `${shown} is empty (0 lines).`;

  const text = bytes.toString('utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const total = lines.length;
  const start = input.startLine ?? 1;
  if (!Number.isInteger(start) || start < 1) throw new RepositoryToolError('start_line must be a whole number from 1.');
  if (input.endLine !== undefined && (!Number.isInteger(input.endLine) || input.endLine < start)) throw new RepositoryToolError('end_line must be a whole number no smaller than start_line.');
  if (start > total) throw new RepositoryToolError(`${shown} has ${total} line${total === 1 ? '' : 's'}; start_line ${start} is past its end.`);
  const lastWanted = Math.min(total, input.endLine ?? total, start + limits.readLines - 1);

  const shownLines: string[] = [];
  let characters = 0;
  let cutLine: number | undefined;
  for (let number = start; number <= lastWanted; number += 1) {
    const line = lines[number - 1] as string;
    if (characters + line.length + 1 > limits.readCharacters) {
      if (shownLines.length === 0) {
        // One very long line (minified code): show its beginning rather than nothing.
        shownLines.push(line.slice(0, limits.readCharacters));
        return `${shown}: line ${number} of ${total}, its first ${limits.readCharacters} of ${line.length} characters\n${shownLines[0]}\n(the rest of line ${number} is not shown${number < total ? `; read on with start_line=${number + 1}` : ''})`;
      }
      cutLine = number;
      break;
    }
    shownLines.push(line);
    characters += line.length + 1;
  }
  const end = start + shownLines.length - 1;
  const header = `${shown}: lines ${start}-${end} of ${total}`;
  const footer = end < total && (cutLine !== undefined || end < (input.endLine ?? total)) ? `\n(${total - end} more line${total - end === 1 ? '' : 's'}: read on with start_line=${end + 1})` : '';
  return `${header}\n${shownLines.join('\n')}${footer}`;
}

/** A NUL byte in the first 8,000 bytes, as git judges binary files. */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}
