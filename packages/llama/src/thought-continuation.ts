/**
 * Bookkeeping of budget forcing's `extend` mode on node-llama-cpp: the answer is generated in
 * phases; a phase the model ended by closing its thought segment (while "Wait"s are left) is cut
 * there, its thought reopened with "Wait" appended, and the next phase continues the same model
 * response (node-llama-cpp continues a last model response whose thought segment is not ended).
 * Pure functions over node-llama-cpp's response items, kept apart so they are tested on their own.
 */
import type { ChatHistoryItem, ChatModelResponse, ChatModelSegment, LlamaChatResponseSegment } from 'node-llama-cpp';

/** One item of a response as this model keeps it across phases. */
export type ResponseItem = string | ChatModelSegment;

/** The items of a phase's `fullResponse`, without `raw` (its rendering would close the thought again). */
export function responseItems(fullResponse: ReadonlyArray<string | LlamaChatResponseSegment>): ResponseItem[] {
  return fullResponse.map((item) =>
    typeof item === 'string' ? item : { type: 'segment', segmentType: item.segmentType, text: item.text, ended: item.ended },
  );
}

/**
 * Appends a phase's items to the response so far: a thought that continues an open thought is
 * joined to it, and text is joined to text.
 */
export function appendResponseItems(soFar: readonly ResponseItem[], next: readonly ResponseItem[]): ResponseItem[] {
  const merged = [...soFar];
  for (const item of next) {
    const last = merged.at(-1);
    if (typeof item === 'string' && typeof last === 'string') merged[merged.length - 1] = last + item;
    else if (typeof item !== 'string' && typeof last !== 'string' && last !== undefined && !last.ended && last.segmentType === item.segmentType)
      merged[merged.length - 1] = { ...last, text: last.text + item.text, ended: item.ended };
    else merged.push(item);
  }
  return merged;
}

/**
 * The response cut where the model ended its thought: everything up to its last thought segment,
 * which is reopened with `continuation(thought so far)` ("Wait") appended; a thought the model
 * closed before anything of it reached the response is reopened from nothing. `appended` is the
 * text put in.
 */
export function reopenThought(
  items: readonly ResponseItem[],
  continuation: (thoughtSoFar: string) => string,
): { items: ResponseItem[]; appended: string } {
  let index = items.length - 1;
  while (index >= 0 && !isThought(items[index])) index -= 1;
  const thought = index >= 0 ? (items[index] as ChatModelSegment) : undefined;
  const kept = thought === undefined ? [...items] : items.slice(0, index);
  const text = thought?.text ?? '';
  const appended = continuation(text);
  return { items: [...kept, { type: 'segment', segmentType: 'thought', text: text + appended, ended: false }], appended };
}

function isThought(item: ResponseItem | undefined): item is ChatModelSegment {
  return typeof item === 'object' && item.segmentType === 'thought';
}

/** The answer text of the response (what is outside every segment). */
export function responseText(items: readonly ResponseItem[]): string {
  return items.filter((item): item is string => typeof item === 'string').join('');
}

/** The history whose last model response is `items` (after what that response already held). */
export function historyContinuing(history: readonly ChatHistoryItem[], items: readonly ResponseItem[]): ChatHistoryItem[] {
  const last = history.at(-1);
  const earlier = last?.type === 'model' ? history.slice(0, -1) : [...history];
  const before: ChatModelResponse['response'] = last?.type === 'model' ? last.response : [];
  return [...earlier, { type: 'model', response: [...before, ...items] }];
}
