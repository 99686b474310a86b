/**
 * Budget forcing over raw completions, end to end against the scripted OpenAI-compatible server on
 * 127.0.0.1: what the server is asked (the templated prompt, `</think>` as the stop of thinking,
 * "Wait", the thought tokens left) and what the call reports (reasoning and answer, their tokens).
 */
import { generateText, streamText } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { SleeptimeError } from '../errors.js';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '../testing/scripted-openai-server.js';
import { createModel, type CreateModelOptions } from './create-model.js';
import type { ModelBudget, SleeptimeModel } from './types.js';

const servers: ScriptedOpenAIServer[] = [];
const models: SleeptimeModel[] = [];

afterEach(async () => {
  await Promise.all(models.splice(0).map((model) => model.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(script: ScriptedReply[]): Promise<ScriptedOpenAIServer> {
  const server = await startScriptedOpenAIServer(script);
  servers.push(server);
  return server;
}

async function forcingModel(server: ScriptedOpenAIServer, options: CreateModelOptions = {}): Promise<SleeptimeModel> {
  const model = await createModel('openai-compatible:reasoner', { baseUrl: server.baseUrl, env: {}, completionsTemplate: 'chatml', ...options });
  models.push(model);
  return model;
}

const SYSTEM = 'Answer from the context.';
const QUESTION = 'Ana buys 3 apples at $2 each. How much does she pay?';
/** The prompt the chatml template makes of SYSTEM and QUESTION: the assistant's thinking opened. */
const TEMPLATED =
  `<|im_start|>system\n${SYSTEM}<|im_end|>\n<|im_start|>user\n${QUESTION}<|im_end|>\n<|im_start|>assistant\n<think>\n`;

async function forcedAsk(model: SleeptimeModel, budget: ModelBudget) {
  return generateText({
    model: model.languageModel,
    system: SYSTEM,
    prompt: QUESTION,
    maxRetries: 0,
    temperature: 0,
    ...model.callSettings(budget),
  });
}

function promptOf(request: RecordedRequest | undefined): string {
  return String(request?.body.prompt);
}

function forcingReport(providerMetadata: unknown): unknown {
  return (providerMetadata as { sleeptime?: { budgetForcing?: unknown } } | undefined)?.sleeptime?.budgetForcing;
}

describe('budget forcing over raw completions (openai-compatible with a completions template)', () => {
  it('cap: stops the thinking at the budget, closes it with </think>, and the answer follows', async () => {
    const server = await serve([
      { text: 'Three apples at two dollars', finishReason: 'length', usage: { prompt_tokens: 40, completion_tokens: 16 } },
      { text: '\n\nThe answer is 6.', finishReason: 'stop', usage: { prompt_tokens: 57, completion_tokens: 6 } },
    ]);
    const model = await forcingModel(server);
    const result = await forcedAsk(model, { maxOutputTokens: 100, budgetForcing: { mode: 'cap', thinkingTokens: 16 } });

    expect(server.requests.map((request) => request.path)).toEqual(['/v1/completions', '/v1/completions']);
    const [thinking, answer] = server.requests;
    expect(thinking?.body).toMatchObject({ model: 'reasoner', prompt: TEMPLATED, max_tokens: 16, stop: ['</think>'], temperature: 0 });
    expect(answer?.body).toMatchObject({ prompt: `${TEMPLATED}Three apples at two dollars</think>`, max_tokens: 100 - 16, stop: ['<|im_end|>'] });

    expect(result.reasoningText).toBe('Three apples at two dollars');
    expect(result.text).toBe('The answer is 6.');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toMatchObject({ inputTokens: 40 + 57, outputTokens: 16 + 6, outputTokenDetails: { reasoningTokens: 16, textTokens: 6 } });
    expect(forcingReport(result.providerMetadata)).toEqual({ mode: 'cap', thinkingTokens: 16, thoughtTokens: 16, waits: 0, thinkingEndedBy: 'budget' });
  });

  it('cap: a model that ends its thinking before the budget answers at once, no "Wait"', async () => {
    const server = await serve([
      { text: '3 x 2 = 6.\n', finishReason: 'stop', stopReason: '</think>', usage: { prompt_tokens: 40, completion_tokens: 8 } },
      { text: '\n\nThe answer is 6.', usage: { prompt_tokens: 50, completion_tokens: 6 } },
    ]);
    const model = await forcingModel(server);
    const result = await forcedAsk(model, { maxOutputTokens: 200, budgetForcing: { mode: 'cap', thinkingTokens: 64 } });
    expect(server.requests).toHaveLength(2);
    expect(promptOf(server.requests[1])).toBe(`${TEMPLATED}3 x 2 = 6.\n</think>`);
    expect(server.requests.some((request) => promptOf(request).includes('Wait'))).toBe(false);
    expect(forcingReport(result.providerMetadata)).toMatchObject({ thoughtTokens: 8, waits: 0, thinkingEndedBy: 'model' });
  });

  it('extend: replaces an early end of thinking with "Wait", as many times as asked, with the thought tokens left', async () => {
    const server = await serve([
      { text: '3 x 2 = 6.\n', finishReason: 'stop', stopReason: '</think>', usage: { prompt_tokens: 40, completion_tokens: 8 } },
      { text: ', let me re-check: 2 + 2 + 2 = 6.', finishReason: 'stop', stopReason: '</think>', usage: { prompt_tokens: 49, completion_tokens: 12 } },
      { text: ' Still 6.\n', finishReason: 'stop', stopReason: '</think>', usage: { prompt_tokens: 62, completion_tokens: 4 } },
      { text: '\n\nThe answer is 6.', usage: { prompt_tokens: 67, completion_tokens: 6 } },
    ]);
    const model = await forcingModel(server);
    const result = await forcedAsk(model, { maxOutputTokens: 300, budgetForcing: { mode: 'extend', thinkingTokens: 100, waits: 2 } });

    expect(server.requests).toHaveLength(4);
    const prompts = server.requests.map(promptOf);
    expect(prompts[0]).toBe(TEMPLATED);
    // The end of thinking the model chose is replaced with "Wait", on a new line unless it already is on one.
    expect(prompts[1]).toBe(`${TEMPLATED}3 x 2 = 6.\nWait`);
    expect(prompts[2]).toBe(`${TEMPLATED}3 x 2 = 6.\nWait, let me re-check: 2 + 2 + 2 = 6.\nWait`);
    // Two waits used: the third end of thinking stands, closed with </think>.
    expect(prompts[3]).toBe(`${TEMPLATED}3 x 2 = 6.\nWait, let me re-check: 2 + 2 + 2 = 6.\nWait Still 6.\n</think>`);
    expect(server.requests.slice(0, 3).map((request) => request.body.max_tokens)).toEqual([100, 100 - 8, 100 - 8 - 12]);
    expect(server.requests.slice(0, 3).every((request) => JSON.stringify(request.body.stop) === '["</think>"]')).toBe(true);
    expect(server.requests[3]?.body.max_tokens).toBe(300 - 24);

    expect(result.reasoningText).toBe('3 x 2 = 6.\nWait, let me re-check: 2 + 2 + 2 = 6.\nWait Still 6.\n');
    expect(result.text).toBe('The answer is 6.');
    // Only sampled tokens are output: the inserted "Wait"s and </think> are prompt.
    expect(result.usage).toMatchObject({ outputTokens: 24 + 6, outputTokenDetails: { reasoningTokens: 24, textTokens: 6 }, inputTokens: 40 + 49 + 62 + 67 });
    expect(forcingReport(result.providerMetadata)).toEqual({ mode: 'extend', thinkingTokens: 100, thoughtTokens: 24, waits: 2, thinkingEndedBy: 'model' });
  });

  it('extend: waits stop once the budget is spent, and the budget still caps the thinking', async () => {
    const server = await serve([
      { text: 'Six.', finishReason: 'stop', stopReason: '</think>', usage: { prompt_tokens: 40, completion_tokens: 10 } },
      { text: ' Two times three', finishReason: 'length', usage: { prompt_tokens: 45, completion_tokens: 10 } },
      { text: 'The answer is 6.', usage: { prompt_tokens: 60, completion_tokens: 5 } },
    ]);
    const model = await forcingModel(server);
    const result = await forcedAsk(model, { maxOutputTokens: 100, budgetForcing: { mode: 'extend', thinkingTokens: 20, waits: 5 } });
    expect(server.requests).toHaveLength(3);
    expect(server.requests[1]?.body.max_tokens).toBe(10);
    expect(promptOf(server.requests[2])).toBe(`${TEMPLATED}Six.\nWait Two times three</think>`);
    expect(forcingReport(result.providerMetadata)).toEqual({ mode: 'extend', thinkingTokens: 20, thoughtTokens: 20, waits: 1, thinkingEndedBy: 'budget' });
  });

  it('an output limit below the thinking budget leaves no room for an answer: finish reason length, no answer request', async () => {
    const server = await serve([{ text: 'Let me think about apples', finishReason: 'length', usage: { prompt_tokens: 40, completion_tokens: 12 } }]);
    const model = await forcingModel(server);
    const result = await forcedAsk(model, { maxOutputTokens: 12, budgetForcing: { mode: 'cap', thinkingTokens: 50 } });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body.max_tokens).toBe(12);
    expect(result.finishReason).toBe('length');
    expect(result.text).toBe('');
    expect(forcingReport(result.providerMetadata)).toMatchObject({ thoughtTokens: 12, thinkingEndedBy: 'output-limit' });
  });

  it('renders the deepseek-r1 format when that template is chosen (SLEEPTIME_COMPLETIONS_TEMPLATE)', async () => {
    const server = await serve([
      { text: 'Fine.', finishReason: 'stop', usage: { prompt_tokens: 30, completion_tokens: 2 } },
      { text: 'The answer is 6.', usage: { prompt_tokens: 33, completion_tokens: 5 } },
    ]);
    const model = await createModel('openai-compatible:r1', { baseUrl: server.baseUrl, env: { SLEEPTIME_COMPLETIONS_TEMPLATE: 'deepseek-r1' } });
    models.push(model);
    await forcedAsk(model, { maxOutputTokens: 50, budgetForcing: { mode: 'cap', thinkingTokens: 10 } });
    expect(promptOf(server.requests[0])).toBe(`${SYSTEM}<\uff5cUser\uff5c>${QUESTION}<\uff5cAssistant\uff5c><think>\n`);
    expect(server.requests[1]?.body.stop).toEqual(['<\uff5cend\u2581of\u2581sentence\uff5c>']);
  });

  it('streams a forced call as reasoning, then text, then the finish with its usage', async () => {
    const server = await serve([
      { text: 'Two each.', finishReason: 'length', usage: { prompt_tokens: 40, completion_tokens: 4 } },
      { text: 'The answer is 6.', usage: { prompt_tokens: 45, completion_tokens: 5 } },
    ]);
    const model = await forcingModel(server);
    const result = streamText({ model: model.languageModel, prompt: QUESTION, maxRetries: 0, ...model.callSettings({ maxOutputTokens: 40, budgetForcing: { mode: 'cap', thinkingTokens: 4 } }) });
    expect(await result.text).toBe('The answer is 6.');
    expect(await result.reasoningText).toBe('Two each.');
    expect((await result.usage).outputTokens).toBe(9);
  });

  it('calls without budget forcing still go to the chat completions of the same server', async () => {
    const server = await serve([{ text: 'The answer is 6.' }]);
    const model = await forcingModel(server);
    const result = await generateText({ model: model.languageModel, prompt: QUESTION, maxRetries: 0, ...model.callSettings({ effort: 'low' }) });
    expect(result.text).toBe('The answer is 6.');
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
  });

  it('retries the loop after a 500 from the completions endpoint', async () => {
    const server = await serve([
      { status: 500 },
      { text: 'Six.', finishReason: 'stop', usage: { prompt_tokens: 40, completion_tokens: 2 } },
      { text: 'The answer is 6.', usage: { prompt_tokens: 45, completion_tokens: 5 } },
    ]);
    const model = await forcingModel(server, { retry: { initialDelayMs: 1, maxDelayMs: 1 } });
    const result = await forcedAsk(model, { maxOutputTokens: 40, budgetForcing: { mode: 'cap', thinkingTokens: 8 } });
    expect(result.text).toBe('The answer is 6.');
    expect(server.requests).toHaveLength(3);
  });
});

describe('budget forcing: who can, and what the others say', () => {
  function refusal(action: () => unknown): SleeptimeError {
    try {
      action();
    } catch (error) {
      if (SleeptimeError.isInstance(error)) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  }

  it('an openai-compatible model without a completions template refuses it, saying how to give one', async () => {
    const server = await serve([]);
    const model = await createModel('openai-compatible:reasoner', { baseUrl: server.baseUrl, env: {} });
    models.push(model);
    const error = refusal(() => model.callSettings({ budgetForcing: { mode: 'extend', thinkingTokens: 512 } }));
    expect(error).toMatchObject({ code: 'unsupported_budget', category: 'user' });
    expect(error.message).toMatch(/SLEEPTIME_COMPLETIONS_TEMPLATE/);
    expect(error.message).toMatch(/chatml or deepseek-r1/);
    expect(server.allRequests).toHaveLength(0);
  });

  it('an unknown completions template is a user error naming the known ones', async () => {
    await expect(createModel('openai-compatible:m', { baseUrl: 'http://127.0.0.1:9/v1', env: { SLEEPTIME_COMPLETIONS_TEMPLATE: 'llama3' } })).rejects.toMatchObject({
      code: 'invalid_option',
      message: expect.stringMatching(/SLEEPTIME_COMPLETIONS_TEMPLATE must be one of chatml, deepseek-r1/),
    });
  });

  it('a forced call with tools is refused before any request', async () => {
    const server = await serve([]);
    const model = await forcingModel(server);
    await expect(
      model.languageModel.doGenerate({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
        tools: [{ type: 'function', name: 'look', inputSchema: { type: 'object' } }],
        providerOptions: { sleeptime: { budgetForcing: { mode: 'cap', thinkingTokens: 8 } } },
      }),
    ).rejects.toMatchObject({ code: 'budget_forcing_unsupported', category: 'user' });
    expect(server.allRequests).toHaveLength(0);
  });
});
