/** `edit_file`: replaces one exact, unique piece of text in a file of the worktree. */
import { readFile, stat } from 'node:fs/promises';
import { isBinary } from './read-file.js';
import { resolveSandboxPath } from './sandbox-path.js';
import { RepositoryToolError, type RepositoryToolLimits } from './tool-limits.js';
import { writeWithinSandbox } from './write-file.js';

export interface EditFileInput {
  path: string;
  /** The text to replace: it must occur exactly once in the file. */
  oldString: string;
  newString: string;
}

/**
 * Replaces `oldString` with `newString` when it occurs exactly once; otherwise the model is told
 * whether it was not found or where it occurs several times. In a file with CRLF line ends, text
 * written with LF is matched and replaced with CRLF.
 */
export async function editRepositoryFile(root: string, input: EditFileInput, limits: Pick<RepositoryToolLimits, 'editFileBytes' | 'writeBytes'>): Promise<string> {
  const file = await resolveSandboxPath(root, input.path, 'write');
  const shown = file.relative === '' ? '.' : file.relative;
  if (!file.exists) throw new RepositoryToolError(`No such file: ${shown}. To make a new file, use write_file.`);
  const info = await stat(file.absolute);
  if (info.isDirectory()) throw new RepositoryToolError(`${shown} is a folder.`);
  if (!info.isFile()) throw new RepositoryToolError(`${shown} is not a regular file.`);
  if (info.size > limits.editFileBytes) throw new RepositoryToolError(`${shown} is ${info.size} bytes, more than the ${limits.editFileBytes} bytes edit_file changes.`);
  if (input.oldString === '') throw new RepositoryToolError('old_string is empty: give the exact text to replace (to add to a file, replace a line next to where the new text goes).');
  if (input.oldString === input.newString) throw new RepositoryToolError('old_string and new_string are the same: nothing would change.');
  if (Buffer.byteLength(input.newString, 'utf8') > limits.writeBytes) throw new RepositoryToolError(`new_string is more than the ${limits.writeBytes} bytes an edit may add.`);

  const bytes = await readFile(file.absolute);
  if (isBinary(bytes)) throw new RepositoryToolError(`${shown} is a binary file; edit_file changes text files only.`);
  const text = bytes.toString('utf8');

  let oldString = input.oldString;
  let newString = input.newString;
  let positions = occurrences(text, oldString);
  if (positions.length === 0 && text.includes('\r\n') && oldString.includes('\n') && !oldString.includes('\r')) {
    oldString = oldString.replace(/\n/g, '\r\n');
    newString = newString.replace(/\r?\n/g, '\r\n');
    positions = occurrences(text, oldString);
  }
  if (positions.length === 0) {
    throw new RepositoryToolError(`old_string was not found in ${shown}. It must match the file exactly, including spaces, indentation and line breaks: read the file again and copy the text.`);
  }
  if (positions.length > 1) {
    const lines = positions.slice(0, 10).map((position) => lineOf(text, position));
    throw new RepositoryToolError(
      `old_string occurs ${positions.length} times in ${shown} (lines ${lines.join(', ')}${positions.length > 10 ? ', ...' : ''}); include more of the surrounding lines so that it matches exactly once.`,
    );
  }
  const at = positions[0] as number;
  // Slices, not String.replace: `$&` and `$1` in the new text stay as written.
  const edited = `${text.slice(0, at)}${newString}${text.slice(at + oldString.length)}`;
  await writeWithinSandbox(file, edited);
  const removed = oldString.split('\n').length;
  const added = newString.split('\n').length;
  return `Edited ${shown} at line ${lineOf(text, at)}: replaced ${removed} line${removed === 1 ? '' : 's'} with ${added}.`;
}

function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) found.push(at);
  return found;
}

function lineOf(text: string, position: number): number {
  let line = 1;
  for (let index = text.indexOf('\n'); index !== -1 && index < position; index = text.indexOf('\n', index + 1)) line += 1;
  return line;
}
