/**
 * Sleep-time prefix warming against an OpenAI-compatible server (vLLM, llama.cpp server): after the
 * sleep publishes, one request carries exactly the ask's prompt prefix and asks for one token.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModel } from '../models/create-model.js';
import type { SleeptimeModel } from '../models/types.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { startScriptedOpenAIServer, SCRIPTED_MODEL_ID, type ScriptedOpenAIServer } from '../testing/scripted-openai-server.js';
import { createEngine } from './engine.js';

const contextText = 'Ana has 3 boxes with 12 pencils each. She gives 5 pencils to Ben.';
const learnedMemory = 'Ana starts with 36 pencils and keeps 31.';

let dataDir: string;
let store: Store;
let server: ScriptedOpenAIServer | undefined;
let model: SleeptimeModel | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-upstream-prefix-'));
  store = await openStore({ kind: 'sqlite', dataDir });
});

afterEach(async () => {
  await model?.close();
  await server?.close();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('OpenAI-compatible prefix warming', () => {
  it('sends the ask prefix byte for byte with max_tokens 1 after publishing, and the ask starts with it', async () => {
    server = await startScriptedOpenAIServer([
      { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: learnedMemory } }], finishReason: 'tool_calls' },
      { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], finishReason: 'tool_calls' },
      { text: 'x', usage: { prompt_tokens: 90, completion_tokens: 1 } },
      { text: 'The answer is 31.', usage: { prompt_tokens: 99, completion_tokens: 6 } },
    ]);
    model = await createModel(`openai-compatible:${SCRIPTED_MODEL_ID}`, { baseUrl: server.baseUrl, env: {} });
    expect(model.warmPrefix).toBeTypeOf('function');
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'pencils', text: contextText });

    const sleep = await engine.sleep('pencils');
    // The warm-up is billed: its usage is kept with it (the run's usage stays the agent's calls).
    expect(sleep.prefixWarmUp).toMatchObject({ status: 'requested', usage: { inputTokens: 90, outputTokens: 1, reasoningTokens: 0 } });
    expect((await store.runs.get(sleep.runId))?.prefixWarmUp?.usage).toEqual({ inputTokens: 90, outputTokens: 1, reasoningTokens: 0 });
    expect(server.requests).toHaveLength(3);
    const warmUp = server.requests[2]!.body;
    expect(warmUp.max_tokens).toBe(1);
    expect(warmUp.tools).toBeUndefined();

    await engine.ask('pencils', 'How many pencils does Ana keep?');
    const ask = server.requests[3]!.body;
    const warmedSystem = warmUp.messages?.[0];
    expect(warmedSystem?.role).toBe('system');
    expect(typeof warmedSystem?.content).toBe('string');
    expect(String(warmedSystem?.content)).toContain(learnedMemory);
    // Byte-identical prefix: the same system message, serialised the same way, first in both requests.
    expect(JSON.stringify(ask.messages?.[0])).toBe(JSON.stringify(warmedSystem));
    expect(warmUp.messages?.slice(1)).toEqual([{ role: 'user', content: '' }]);
  });

  it('keeps the sleep when the server refuses the warm-up', async () => {
    server = await startScriptedOpenAIServer([
      { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: learnedMemory } }], finishReason: 'tool_calls' },
      { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], finishReason: 'tool_calls' },
      { status: 400, errorMessage: 'empty user message' },
    ]);
    model = await createModel(`openai-compatible:${SCRIPTED_MODEL_ID}`, { baseUrl: server.baseUrl, env: {} });
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'pencils', text: contextText });
    const sleep = await engine.sleep('pencils');
    expect(sleep.learned).toBe(learnedMemory);
    expect(sleep.prefixWarmUp).toMatchObject({ status: 'failed' });
    expect((await store.runs.get(sleep.runId))?.status).toBe('succeeded');
  });

  it('puts an Anthropic cache breakpoint on the system message, at warm-up and at ask, byte for byte', async () => {
    const bodies: Array<{ system?: unknown; max_tokens?: number; messages?: unknown[] }> = [];
    const replies = [
      { content: [{ type: 'tool_use', id: 'toolu_1', name: 'rethink_memory', input: { new_memory: learnedMemory } }], stop_reason: 'tool_use' },
      { content: [{ type: 'tool_use', id: 'toolu_2', name: 'finish_rethinking', input: {} }], stop_reason: 'tool_use' },
      { content: [{ type: 'text', text: 'OK' }], stop_reason: 'max_tokens' },
      { content: [{ type: 'text', text: 'The answer is 31.' }], stop_reason: 'end_turn' },
    ];
    const fakeFetch: typeof fetch = async (_input, init) => {
      bodies.push(JSON.parse(String(init?.body)) as (typeof bodies)[number]);
      const reply = replies[bodies.length - 1];
      return new Response(
        JSON.stringify({ id: `msg_${bodies.length}`, type: 'message', role: 'assistant', model: 'claude-test', usage: { input_tokens: 10, output_tokens: 1 }, ...reply }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    };
    model = await createModel('anthropic:claude-test', { apiKey: 'test-key', env: {}, fetch: fakeFetch });
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'pencils', text: contextText });
    const sleep = await engine.sleep('pencils');
    expect(sleep.prefixWarmUp).toMatchObject({ status: 'requested' });
    await engine.ask('pencils', 'How many pencils does Ana keep?');

    expect(bodies).toHaveLength(4);
    const [, , warmUp, ask] = bodies;
    expect(warmUp?.max_tokens).toBe(1);
    expect(warmUp?.system).toEqual([{ type: 'text', text: expect.stringContaining(learnedMemory), cache_control: { type: 'ephemeral' } }]);
    expect(JSON.stringify(ask?.system)).toBe(JSON.stringify(warmUp?.system));
    // The sleep-time calls do not carry the breakpoint: only the ask prefix is worth caching.
    expect(JSON.stringify(bodies[0]?.system)).not.toContain('cache_control');
  });
});
