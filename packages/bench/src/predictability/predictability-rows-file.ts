/** Predictability scores as JSON Lines, one PredictabilityRow a line (what `writeReport` takes). */
import { z } from 'zod';
import { modelProvenanceSchema } from '@sleeptime/core';
import { readJsonl, writeJsonl } from '../datasets/jsonl.js';
import type { PredictabilityRow } from '../bench-types.js';

export const predictabilityRowSchema: z.ZodType<PredictabilityRow> = z.object({
  dataset: z.string(),
  itemId: z.string(),
  model: z.string(),
  logProbability: z.number().max(0),
  queryTokens: z.number().int().nonnegative(),
  provenance: modelProvenanceSchema.optional(),
});

/** A missing file is `file_not_found`, a bad line `jsonl_malformed` naming the file and line. */
export function readPredictabilityRows(path: string): Promise<PredictabilityRow[]> {
  return readJsonl(path, predictabilityRowSchema);
}

export function writePredictabilityRows(path: string, rows: Iterable<PredictabilityRow>): Promise<void> {
  return writeJsonl(path, rows);
}
