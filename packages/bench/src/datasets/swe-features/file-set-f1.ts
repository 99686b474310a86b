/**
 * The SWE-Features score: precision, recall and F1 of the set of files an agent edited against the
 * set the real change touched (the paper's metric). Paths are compared after normalization
 * (forward slashes, no leading `./`); duplicates count once.
 *
 * Empty sets: nothing to change and nothing changed scores 1 (precision, recall and F1); otherwise
 * a ratio with nothing to divide by is 0 (editing nothing earns no precision; editing files when
 * none should change earns no recall), so F1 is 0 whenever either set is empty and the other not.
 */
export interface FileSetScore {
  precision: number;
  recall: number;
  f1: number;
  /** Files in both sets. */
  truePositives: number;
  /** Size of the edited set. */
  edited: number;
  /** Size of the gold set. */
  gold: number;
}

export interface FileSetF1Options {
  /** Leave these paths out of both sets (e.g. `isTestPath`, to score without test files). */
  exclude?: (filePath: string) => boolean;
}

export function fileSetF1(edited: Iterable<string>, gold: Iterable<string>, options: FileSetF1Options = {}): FileSetScore {
  const editedSet = normalizedSet(edited, options.exclude);
  const goldSet = normalizedSet(gold, options.exclude);
  if (editedSet.size === 0 && goldSet.size === 0) return { precision: 1, recall: 1, f1: 1, truePositives: 0, edited: 0, gold: 0 };
  let truePositives = 0;
  for (const file of editedSet) if (goldSet.has(file)) truePositives += 1;
  const precision = editedSet.size === 0 ? 0 : truePositives / editedSet.size;
  const recall = goldSet.size === 0 ? 0 : truePositives / goldSet.size;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives, edited: editedSet.size, gold: goldSet.size };
}

/** `./src\\app.ts` and `src/app.ts` are the same file. */
export function normalizeFilePath(filePath: string): string {
  return filePath.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/');
}

function normalizedSet(paths: Iterable<string>, exclude: ((filePath: string) => boolean) | undefined): Set<string> {
  const set = new Set<string>();
  for (const raw of paths) {
    const filePath = normalizeFilePath(raw);
    if (filePath !== '' && exclude?.(filePath) !== true) set.add(filePath);
  }
  return set;
}
