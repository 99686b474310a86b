/**
 * Converts an AI SDK V3 prompt into node-llama-cpp's chat history.
 *
 * node-llama-cpp keeps a tool call and its result together inside the model's turn
 * (`{type: 'functionCall', params, result}`), and the model continues that turn after the results.
 * So assistant messages, the tool messages answering them and later assistant messages merge into
 * one model response until the next user or system message; each call gets the result whose
 * `toolCallId` matches.
 */
import type {
  LanguageModelV3Prompt,
  LanguageModelV3ToolResultOutput,
  SharedV3Warning,
} from '@ai-sdk/provider';
import type { ChatHistoryItem, ChatModelResponse } from 'node-llama-cpp';

export interface ConvertedPrompt {
  history: ChatHistoryItem[];
  warnings: SharedV3Warning[];
}

export function promptToChatHistory(prompt: LanguageModelV3Prompt): ConvertedPrompt {
  const warnings: SharedV3Warning[] = [];
  const warnOnce = (feature: string, details: string) => {
    if (!warnings.some((warning) => warning.type === 'unsupported' && warning.feature === feature))
      warnings.push({ type: 'unsupported', feature, details });
  };

  const resultsByCallId = new Map<string, unknown>();
  for (const message of prompt) {
    if (message.role !== 'tool' && message.role !== 'assistant') continue;
    for (const part of message.content)
      if (part.type === 'tool-result') resultsByCallId.set(part.toolCallId, toolResultValue(part.output));
  }

  const history: ChatHistoryItem[] = [];
  const currentModelResponse = (): ChatModelResponse => {
    const last = history.at(-1);
    if (last?.type === 'model') return last;
    const created: ChatModelResponse = { type: 'model', response: [] };
    history.push(created);
    return created;
  };

  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        history.push({ type: 'system', text: message.content });
        break;
      case 'user': {
        const texts: string[] = [];
        for (const part of message.content) {
          if (part.type === 'text') texts.push(part.text);
          else {
            const inlined = inlineTextFile(part.mediaType, part.data);
            if (inlined !== undefined) texts.push(inlined);
            else warnOnce('file parts', `llama models read text only; a ${part.mediaType} file was left out`);
          }
        }
        history.push({ type: 'user', text: texts.join('\n') });
        break;
      }
      case 'assistant': {
        const response = currentModelResponse().response;
        for (const part of message.content) {
          if (part.type === 'text') response.push(part.text);
          else if (part.type === 'reasoning')
            response.push({ type: 'segment', segmentType: 'thought', text: part.text, ended: true });
          else if (part.type === 'tool-call')
            response.push({
              type: 'functionCall',
              name: part.toolName,
              params: part.input,
              result: resultsByCallId.has(part.toolCallId) ? resultsByCallId.get(part.toolCallId) : 'no result',
            });
          else if (part.type === 'file') warnOnce('file parts', 'assistant files are left out of the prompt');
        }
        break;
      }
      case 'tool':
        // The results are attached to their calls above; the model's turn goes on after them.
        currentModelResponse();
        break;
    }
  }
  return { history, warnings };
}

function toolResultValue(output: LanguageModelV3ToolResultOutput): unknown {
  switch (output.type) {
    case 'text':
    case 'json':
      return output.value;
    case 'error-text':
    case 'error-json':
      return { error: output.value };
    case 'execution-denied':
      return { error: `The tool call was denied${output.reason ? `: ${output.reason}` : '.'}` };
    case 'content':
      return output.value.map((item) => (item.type === 'text' ? item.text : `[${item.type} left out]`)).join('\n');
  }
}

function inlineTextFile(mediaType: string, data: unknown): string | undefined {
  if (!mediaType.startsWith('text/')) return undefined;
  if (data instanceof Uint8Array) return new TextDecoder().decode(data);
  // The AI SDK hands inline file data over as base64.
  if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
  return undefined;
}
