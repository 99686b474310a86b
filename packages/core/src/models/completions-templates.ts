/**
 * Chat templates for raw completions (`/v1/completions`), where budget forcing needs the prompt as
 * text so that it can end the thinking or put "Wait" in it itself. Named, not Jinja: the server
 * renders Jinja for chat requests, but a raw completion gets exactly the text sent, so sleeptime
 * writes the few formats of the models that think in `<think>` segments:
 *
 * - `chatml`: Qwen3, QwQ, s1 and other ChatML models (`<|im_start|>role\n...<|im_end|>\n`);
 * - `deepseek-r1`: DeepSeek-R1 and its distilled models (`<｜User｜>...<｜Assistant｜>`).
 *
 * The rendered prompt ends with the assistant turn opened and its thinking started (`<think>\n`),
 * as the models' own templates do with a generation prompt. No BOS token is written: servers add it
 * to a text prompt themselves (vLLM's and llama.cpp's completions do by default).
 */
import type { LanguageModelV3Prompt } from '@ai-sdk/provider';
import { userError } from '../errors.js';

export const COMPLETIONS_TEMPLATE_NAMES = ['chatml', 'deepseek-r1'] as const;
export type CompletionsTemplateName = (typeof COMPLETIONS_TEMPLATE_NAMES)[number];

export interface TemplateMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionsTemplate {
  name: CompletionsTemplateName;
  /** The prompt up to and including the start of the assistant's thinking. */
  render(messages: readonly TemplateMessage[]): string;
  /** Ends the thinking: where a thinking phase stops, and what closes a thinking that was cut. */
  thinkEnd: string;
  /** Ends the assistant's turn: a stop sequence of the answer. */
  endOfTurn: string;
}

const chatml: CompletionsTemplate = {
  name: 'chatml',
  render: (messages) =>
    messages.map((message) => `<|im_start|>${message.role}\n${message.content}<|im_end|>\n`).join('') + '<|im_start|>assistant\n<think>\n',
  thinkEnd: '</think>',
  endOfTurn: '<|im_end|>',
};

// DeepSeek's markers use U+FF5C (fullwidth vertical line) and U+2581 (lower one eighth block).
const DEEPSEEK_USER = '<\uff5cUser\uff5c>';
const DEEPSEEK_ASSISTANT = '<\uff5cAssistant\uff5c>';
const DEEPSEEK_END_OF_SENTENCE = '<\uff5cend\u2581of\u2581sentence\uff5c>';

const deepseekR1: CompletionsTemplate = {
  name: 'deepseek-r1',
  render: (messages) => {
    // System text comes first, unmarked, as DeepSeek-R1's template puts it.
    const system = messages.filter((message) => message.role === 'system').map((message) => message.content).join('\n\n');
    const turns = messages
      .filter((message) => message.role !== 'system')
      .map((message) => (message.role === 'user' ? `${DEEPSEEK_USER}${message.content}` : `${DEEPSEEK_ASSISTANT}${message.content}${DEEPSEEK_END_OF_SENTENCE}`))
      .join('');
    return `${system}${turns}${DEEPSEEK_ASSISTANT}<think>\n`;
  },
  thinkEnd: '</think>',
  endOfTurn: DEEPSEEK_END_OF_SENTENCE,
};

const TEMPLATES: Readonly<Record<CompletionsTemplateName, CompletionsTemplate>> = Object.freeze({ chatml, 'deepseek-r1': deepseekR1 });

export function isCompletionsTemplateName(name: string): name is CompletionsTemplateName {
  return (COMPLETIONS_TEMPLATE_NAMES as readonly string[]).includes(name);
}

/** The template of that name; an unknown name is a user error listing the known ones. */
export function completionsTemplate(name: string, source = 'the completions template'): CompletionsTemplate {
  if (!isCompletionsTemplateName(name))
    throw userError('invalid_option', `${source} must be one of ${COMPLETIONS_TEMPLATE_NAMES.join(', ')} (got ${JSON.stringify(name)})`, {
      field: 'completionsTemplate',
    });
  return TEMPLATES[name];
}

/**
 * The text turns of an AI SDK prompt. Reasoning of earlier assistant turns is left out, as the
 * models' templates leave it out; anything but text (files, tool calls and results) cannot be
 * written as a raw prompt here and is refused.
 */
export function promptToTemplateMessages(prompt: LanguageModelV3Prompt): TemplateMessage[] {
  const messages: TemplateMessage[] = [];
  for (const message of prompt) {
    if (message.role === 'system') {
      messages.push({ role: 'system', content: message.content });
      continue;
    }
    if (message.role === 'tool') throw unsupportedPart('a tool result');
    let text = '';
    for (const part of message.content) {
      if (part.type === 'text') text += part.text;
      else if (part.type !== 'reasoning') throw unsupportedPart(part.type === 'file' ? 'a file' : `a ${part.type} part`);
    }
    messages.push({ role: message.role, content: text });
  }
  return messages;
}

function unsupportedPart(what: string) {
  return userError('budget_forcing_unsupported', `budget forcing over raw completions takes text messages only; the prompt has ${what}`);
}
