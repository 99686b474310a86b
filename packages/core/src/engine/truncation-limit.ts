import type { TruncationLimit } from '../store/types.js';

/**
 * Which limit cut a call short (unified finish reason `length`): the embedded llama model names its
 * own limits in the raw reason; any other `length` is the output token limit.
 */
export function truncationLimit(finishReason: string, rawFinishReason: string | undefined): TruncationLimit | null {
  if (finishReason !== 'length') return null;
  if (rawFinishReason === 'time-limit' || rawFinishReason === 'repetition') return rawFinishReason;
  return 'max-output-tokens';
}
