/**
 * The bounds of the repository tools: how much one call may list, read, find or write. Every tool
 * result stays small enough for a model's context, and every file the tools open is bounded in size.
 */
export interface RepositoryToolLimits {
  /** Entries one `list_files` call shows (default 200). */
  listEntries: number;
  /** Lines one `read_file` call returns (default 400); the model reads on with `start_line`. */
  readLines: number;
  /** Characters one `read_file` call returns (default 24,000). */
  readCharacters: number;
  /** The largest file `read_file` opens, in bytes (default 2 MiB). */
  readFileBytes: number;
  /** Matches one `search` call returns at most (default 50; the model may ask for fewer). */
  searchMatches: number;
  /** Characters of a matching line shown (default 240). */
  searchLineCharacters: number;
  /** Wall-clock limit of one search (default 15 s). */
  searchTimeoutMs: number;
  /** The largest file `edit_file` changes, in bytes (default 1 MiB). */
  editFileBytes: number;
  /** The most bytes `write_file` writes, and the most an edit's new text may add (default 256 KiB). */
  writeBytes: number;
}

export const defaultRepositoryToolLimits: Readonly<RepositoryToolLimits> = Object.freeze({
  listEntries: 200,
  readLines: 400,
  readCharacters: 24_000,
  readFileBytes: 2 * 1024 * 1024,
  searchMatches: 50,
  searchLineCharacters: 240,
  searchTimeoutMs: 15_000,
  editFileBytes: 1024 * 1024,
  writeBytes: 256 * 1024,
});

/** The defaults with `overrides` applied; each given bound must be a positive integer. */
export function repositoryToolLimits(overrides: Partial<RepositoryToolLimits> = {}): RepositoryToolLimits {
  const limits = { ...defaultRepositoryToolLimits, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`repository tool limit ${name} must be a positive integer, not ${String(value)}`);
  }
  return limits;
}

/** A call the tool cannot carry out, with what the model is told (the call's result, not a crash). */
export class RepositoryToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepositoryToolError';
  }
}
