/** Line diff between two learned-context versions, as unified-diff hunks. */
import type { LearnedDiff } from './engine-types.js';

export async function diffLearnedTexts(from: { version: number; text: string }, to: { version: number; text: string }): Promise<LearnedDiff> {
  // Loaded here: only a diff needs it.
  const { structuredPatch } = await import('diff');
  const patch = structuredPatch(`learned-v${from.version}`, `learned-v${to.version}`, from.text, to.text, '', '', { context: 3 });
  const lines = patch.hunks.flatMap((hunk) => hunk.lines);
  return {
    from: from.version,
    to: to.version,
    added: lines.filter((line) => line.startsWith('+')).length,
    removed: lines.filter((line) => line.startsWith('-')).length,
    hunks: patch.hunks.map((hunk) => ({ oldStart: hunk.oldStart, oldLines: hunk.oldLines, newStart: hunk.newStart, newLines: hunk.newLines, lines: hunk.lines })),
  };
}
