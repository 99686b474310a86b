/**
 * The repository tools as AI SDK tools, in two sets: read-only (`list_files`, `read_file`,
 * `search`) for the sleep-time agent, which explores and writes notes, and read-write (those and
 * `edit_file`, `write_file`, `delete_file`) for the test-time coding agent.
 *
 * Every path goes through the sandbox (sandbox-path.ts): nothing outside the worktree's root, no
 * `.git`, no writing through symbolic links. A call that cannot be carried out (a bad path, a
 * missing file, text not found, a size over a limit, even an unexpected file system error) returns
 * `Error: <why>` as its result, so the model can correct itself and the run goes on; only an abort
 * of the run itself is thrown.
 */
import { tool } from 'ai';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { deleteRepositoryFile } from './delete-file.js';
import { editRepositoryFile } from './edit-file.js';
import { listFiles } from './list-files.js';
import { readRepositoryFile } from './read-file.js';
import { SandboxPathError } from './sandbox-path.js';
import { searchRepository } from './search-files.js';
import { RepositoryToolError, repositoryToolLimits, type RepositoryToolLimits } from './tool-limits.js';
import type { RepositoryWorktree } from './worktree.js';
import { writeRepositoryFile } from './write-file.js';

export const repositoryToolNames = {
  listFiles: 'list_files',
  readFile: 'read_file',
  search: 'search',
  editFile: 'edit_file',
  writeFile: 'write_file',
  deleteFile: 'delete_file',
} as const;

export type RepositoryToolName = (typeof repositoryToolNames)[keyof typeof repositoryToolNames];

/** One tool call as it ran: what the model sent and what it was told. */
export interface RepositoryToolCall {
  toolName: RepositoryToolName;
  input: unknown;
  /** The result the model receives. */
  output: string;
  /** False when the result is an `Error: ...` the model is told. */
  ok: boolean;
}

export interface RepositoryToolsOptions {
  /** Bounds of one call (see {@link RepositoryToolLimits}; defaults in `defaultRepositoryToolLimits`). */
  limits?: Partial<RepositoryToolLimits>;
  /** Called after every call, with its result. */
  onToolCall?: (call: RepositoryToolCall) => void;
}

type Worktree = Pick<RepositoryWorktree, 'root' | 'folder' | 'git'>;

const optionalPath = z.string().nullish();

/** `list_files`, `read_file` and `search` on `worktree`: the sleep-time agent's tools. */
export function readOnlyRepositoryTools(worktree: Worktree, options: RepositoryToolsOptions = {}) {
  const limits = repositoryToolLimits(options.limits);
  const run = runner(worktree, options.onToolCall);
  return {
    [repositoryToolNames.listFiles]: tool({
      description:
        `List the files and folders in a folder of the repository, one path a line, relative to the repository root (folders end with /, symbolic links with @). ` +
        `With recursive: true, everything below the folder. At most ${limits.listEntries} entries.`,
      inputSchema: z.object({
        path: optionalPath.describe('The folder, relative to the repository root (default: the root).'),
        recursive: z.boolean().nullish().describe('List everything below the folder, not only its entries (default false).'),
      }),
      execute: (input, { abortSignal }) =>
        run(repositoryToolNames.listFiles, input, abortSignal, () => listFiles(worktree.root, { path: input.path ?? undefined, recursive: input.recursive ?? undefined }, limits.listEntries)),
    }),
    [repositoryToolNames.readFile]: tool({
      description:
        `Read a text file of the repository, exactly as it is (no line numbers are added), from start_line (default 1) to end_line, at most ${limits.readLines} lines a call. ` +
        'The first line of the result says which lines these are.',
      inputSchema: z.object({
        path: z.string().describe('The file, relative to the repository root, such as src/index.ts.'),
        start_line: z.number().int().min(1).nullish().describe('The first line to read (default 1).'),
        end_line: z.number().int().min(1).nullish().describe('The last line to read (default: as many as allowed).'),
      }),
      execute: (input, { abortSignal }) =>
        run(repositoryToolNames.readFile, input, abortSignal, () =>
          readRepositoryFile(worktree.root, { path: input.path, startLine: input.start_line ?? undefined, endLine: input.end_line ?? undefined }, limits),
        ),
    }),
    [repositoryToolNames.search]: tool({
      description:
        'Search the files of the repository for a text, or with regex: true for an extended regular expression; letter case is ignored unless case_sensitive: true. ' +
        `Each match comes back as path:line: text, at most ${limits.searchMatches}.`,
      inputSchema: z.object({
        pattern: z.string().min(1).describe('The text (or regular expression) to find.'),
        path: optionalPath.describe('Only in this folder or file, relative to the repository root (default: everywhere).'),
        regex: z.boolean().nullish().describe('Take the pattern as an extended regular expression (default false: plain text).'),
        case_sensitive: z.boolean().nullish().describe('Match letter case exactly (default false).'),
        max_results: z.number().int().min(1).nullish().describe(`At most this many matches (default and most: ${limits.searchMatches}).`),
      }),
      execute: (input, { abortSignal }) =>
        run(repositoryToolNames.search, input, abortSignal, () =>
          searchRepository(
            worktree,
            { pattern: input.pattern, path: input.path ?? undefined, regex: input.regex ?? undefined, caseSensitive: input.case_sensitive ?? undefined, maxResults: input.max_results ?? undefined },
            limits,
            abortSignal,
          ),
        ),
    }),
  };
}

/** The read-only tools and `edit_file`, `write_file`, `delete_file` on `worktree`: the test-time coding agent's tools. */
export function readWriteRepositoryTools(worktree: Worktree, options: RepositoryToolsOptions = {}) {
  const limits = repositoryToolLimits(options.limits);
  const run = runner(worktree, options.onToolCall);
  return {
    ...readOnlyRepositoryTools(worktree, options),
    [repositoryToolNames.editFile]: tool({
      description:
        'Replace old_string with new_string in a file of the repository. old_string must match the file exactly, spaces, indentation and line breaks included, ' +
        'and occur exactly once: include enough surrounding lines to make it unique. To make a new file use write_file.',
      inputSchema: z.object({
        path: z.string().describe('The file, relative to the repository root.'),
        old_string: z.string().describe('The exact text to replace (it must occur once in the file).'),
        new_string: z.string().describe('The text to put in its place.'),
      }),
      execute: (input, { abortSignal }) =>
        run(repositoryToolNames.editFile, input, abortSignal, () => editRepositoryFile(worktree.root, { path: input.path, oldString: input.old_string, newString: input.new_string }, limits)),
    }),
    [repositoryToolNames.writeFile]: tool({
      description: `Create a file of the repository, or replace a file's whole content, with content (at most ${limits.writeBytes} bytes). Folders are made as needed.`,
      inputSchema: z.object({
        path: z.string().describe('The file, relative to the repository root, such as src/feature.ts.'),
        content: z.string().describe('The complete content of the file.'),
      }),
      execute: (input, { abortSignal }) => run(repositoryToolNames.writeFile, input, abortSignal, () => writeRepositoryFile(worktree.root, { path: input.path, content: input.content }, limits)),
    }),
    [repositoryToolNames.deleteFile]: tool({
      description: 'Delete a file of the repository (one file; not a folder). Only when the change needs the file gone: to change a file, use edit_file.',
      inputSchema: z.object({
        path: z.string().describe('The file, relative to the repository root.'),
      }),
      execute: (input, { abortSignal }) => run(repositoryToolNames.deleteFile, input, abortSignal, () => deleteRepositoryFile(worktree.root, { path: input.path })),
    }),
  };
}

export type ReadOnlyRepositoryTools = ReturnType<typeof readOnlyRepositoryTools>;
export type ReadWriteRepositoryTools = ReturnType<typeof readWriteRepositoryTools>;

function runner(worktree: Worktree, onToolCall: RepositoryToolsOptions['onToolCall']) {
  return async (toolName: RepositoryToolName, input: unknown, abortSignal: AbortSignal | undefined, work: () => Promise<string>): Promise<string> => {
    let output: string;
    let ok: boolean;
    try {
      output = await work();
      ok = true;
    } catch (error) {
      // Stopping the run is the caller's decision, not a result for the model.
      if (abortSignal?.aborted === true) throw error;
      output = `Error: ${messageForModel(error, worktree)}`;
      ok = false;
    }
    onToolCall?.({ toolName, input, output, ok });
    return output;
  };
}

/** The reason a call failed, with the worktree's location on this machine left out. */
function messageForModel(error: unknown, worktree: Worktree): string {
  if (error instanceof RepositoryToolError || error instanceof SandboxPathError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = errorMessage(error).split(`${worktree.root}/`).join('').split(worktree.root).join('.').split(worktree.folder).join('<worktree>');
  return code === undefined ? message : `the file system refused it (${message})`;
}
