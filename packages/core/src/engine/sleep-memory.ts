/**
 * What the sleep-time agent may keep as its memory. A weak model writes junk that would displace a
 * useful learned context: nothing at all, a fragment such as a bare number, or the tool's parameter
 * name instead of its value. Such a rewrite is refused (the model is told why) and never published.
 */
import { finishRethinkingToolName, rethinkMemoryToolName } from './prompts.js';

/** Tool and parameter names a model may echo instead of writing a memory. */
const echoedNames = new Set(['new_memory', 'memory', rethinkMemoryToolName, finishRethinkingToolName, 'finished']);

/**
 * The fewest characters of a memory worth keeping for a context of this length: an eighth of the
 * context, at least 4 and at most 32 characters. Anything shorter (a bare number for a paragraph)
 * restates too little to help.
 */
export function minimumMemoryCharacters(contextLength: number): number {
  return Math.min(32, Math.max(4, Math.ceil(contextLength / 8)));
}

/** Why this memory must not be kept, or undefined when it may. */
export function unusableMemoryReason(memory: string, contextText: string): string | undefined {
  const trimmed = memory.trim();
  if (trimmed === '') return 'the memory is empty';
  const bare = trimmed.replace(/^[\s"'`{[(<]+|[\s"'`}\])>:,.]+$/g, '').toLowerCase();
  if (echoedNames.has(bare)) return `the memory is only the name "${bare}", not its content`;
  const minimum = minimumMemoryCharacters(contextText.length);
  if (trimmed.length < minimum) return `the memory has ${trimmed.length} characters, fewer than the ${minimum} anything useful about this context needs`;
  return undefined;
}

/**
 * A memory's length as a block limit counts it: in Unicode code points, as Python's `len` does in
 * the paper's released code (Letta's block limit), not in UTF-16 units.
 */
export function memoryCharacters(memory: string): number {
  return Array.from(memory).length;
}

/**
 * Why this memory does not fit a block of `maxCharacters`, or undefined when it does (or there is
 * no limit). Letta, which the paper's runs used, refuses such an edit ("Edit failed: Exceeds 5000
 * character limit") and keeps the block as it was; so does the agent here.
 */
export function oversizedMemoryReason(memory: string, maxCharacters: number | undefined): string | undefined {
  if (maxCharacters === undefined) return undefined;
  const characters = memoryCharacters(memory);
  if (characters <= maxCharacters) return undefined;
  return `the memory has ${characters} characters, more than the memory block's limit of ${maxCharacters}`;
}

/** The same memory, as far as a rewrite goes: only whitespace differs. */
export function sameMemory(first: string, second: string): boolean {
  return first.replace(/\s+/g, ' ').trim() === second.replace(/\s+/g, ' ').trim();
}
