/**
 * Bounded generation against an OpenAI-compatible server: every call carries an output limit (the
 * engine's defaults when the caller sets none), a call cut by a limit is recorded as truncated, and a
 * server that rejects tools gets the sleep-time agent's text protocol.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModel } from '../models/create-model.js';
import type { SleeptimeModel } from '../models/types.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import {
  isPrefixWarmUp,
  startScriptedOpenAIServer,
  SCRIPTED_MODEL_ID,
  type ScriptedOpenAIServer,
  type ScriptedOpenAIServerScript,
} from '../testing/scripted-openai-server.js';
import { sleeptimeErrorOf } from '../testing/sleeptime-error-of.js';
import { defaultAskMaxOutputTokens, defaultChatMaxOutputTokens, defaultSleepCallMaxOutputTokens, defaultThinkingAllowance } from './engine-defaults.js';
import { createEngine } from './engine.js';
import type { Engine } from './engine-types.js';

const contextText = 'Ana has 3 boxes with 12 pencils each. She gives 5 pencils to Ben.';
const memory = 'Ana starts with 3 x 12 = 36 pencils and keeps 31 after giving 5 to Ben.';

let dataDir: string;
let store: Store;
let server: ScriptedOpenAIServer | undefined;
let model: SleeptimeModel | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-bounds-'));
  store = await openStore({ kind: 'sqlite', dataDir });
});

afterEach(async () => {
  await model?.close();
  await server?.close();
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function engineOn(script: ScriptedOpenAIServerScript): Promise<{ engine: Engine; server: ScriptedOpenAIServer }> {
  server = await startScriptedOpenAIServer(script);
  model = await createModel(`openai-compatible:${SCRIPTED_MODEL_ID}`, { baseUrl: server.baseUrl, env: {} });
  const engine = createEngine({ store, model });
  await engine.putContext({ id: 'pencils', text: contextText });
  return { engine, server };
}

/** The requests of the sleep-time agent and the asks, without the prefix warm-up. */
const modelCalls = (scripted: ScriptedOpenAIServer) => scripted.requests.filter((request) => !isPrefixWarmUp(request));

describe('default output limits', () => {
  it('sends a limit on every call: by verbosity for asks, per call for sleeps, for chats, plus room for thinking; a given limit wins', async () => {
    const { engine, server: scripted } = await engineOn((request) =>
      (request.body.tools?.length ?? 0) > 0
        ? { toolCalls: [{ name: request.body.messages?.some((message) => message.role === 'tool') ? 'finish_rethinking' : 'rethink_memory', arguments: { new_memory: memory } }] }
        : { text: 'The answer is 31.' },
    );
    const sleep = await engine.sleep('pencils');
    await engine.ask('pencils', 'How many pencils are left?');
    await engine.ask('pencils', 'How many pencils are left?', { verbosity: 0 });
    await engine.ask('pencils', 'How many pencils are left?', { verbosity: 4, effort: 'low' });
    await engine.ask('pencils', 'How many pencils are left?', { maxOutputTokens: 77 });
    await engine.chat('pencils', { messages: [{ role: 'user', content: 'How many pencils are left?' }] });

    expect(modelCalls(scripted).map((request) => request.body.max_tokens)).toEqual([
      defaultSleepCallMaxOutputTokens,
      defaultSleepCallMaxOutputTokens,
      defaultAskMaxOutputTokens[3],
      defaultAskMaxOutputTokens[0],
      defaultAskMaxOutputTokens[4] + defaultThinkingAllowance.low,
      77,
      defaultChatMaxOutputTokens,
    ]);
    // The limit each run ran with is on the run, default or not.
    const runs = await engine.runs('pencils');
    expect(runs.map((run) => run.settings.maxOutputTokens).reverse()).toEqual([2048, 2048, 256, 4096 + 2048, 77, 4096]);
    expect((await engine.getRun(sleep.runId))?.finishReason).toBe('finished');
  });
});

describe('truncation', () => {
  it('an answer cut by the output limit says so on the result and the run, streamed or not', async () => {
    const { engine } = await engineOn([
      { text: 'Let me count: 3 boxes of 12 is', finishReason: 'length', usage: { prompt_tokens: 40, completion_tokens: 8 } },
      { text: 'The answer is 31.', finishReason: 'stop', usage: { prompt_tokens: 40, completion_tokens: 6 } },
      { text: 'Let me count: 3 boxes', finishReason: 'length', usage: { prompt_tokens: 40, completion_tokens: 5 } },
    ]);
    const cut = await engine.ask('pencils', 'How many pencils are left?', { maxOutputTokens: 8 });
    expect(cut).toMatchObject({ finishReason: 'length', truncated: true, truncatedBy: 'max-output-tokens', final: null });
    expect(await engine.getRun(cut.runId)).toMatchObject({ status: 'succeeded', finishReason: 'length', truncated: true, truncatedBy: 'max-output-tokens' });

    const whole = await engine.ask('pencils', 'How many pencils are left?');
    expect(whole).toMatchObject({ finishReason: 'stop', truncated: false, truncatedBy: null, final: '31' });
    expect(await engine.getRun(whole.runId)).toMatchObject({ finishReason: 'stop', truncated: false, truncatedBy: null });

    const stream = await engine.streamAsk('pencils', 'How many pencils are left?', { maxOutputTokens: 5 });
    let finished: unknown;
    for await (const event of stream.events) if (event.type === 'finish') finished = event.result;
    expect(finished).toMatchObject({ truncated: true, truncatedBy: 'max-output-tokens' });
    expect(await engine.getRun(stream.runId)).toMatchObject({ truncated: true, truncatedBy: 'max-output-tokens' });
  });
});

describe('the sleep-time agent on a server without tool calling', () => {
  it('switches to the text protocol when the server rejects tools, publishes, and records the stop reason', async () => {
    const { engine, server: scripted } = await engineOn((request) => {
      if ((request.body.tools?.length ?? 0) > 0) return { status: 400, errorMessage: 'tools param requires --jinja flag' };
      const turns = request.body.messages?.filter((message) => message.role === 'assistant').length ?? 0;
      if (isPrefixWarmUp(request)) return { text: 'x' };
      if (JSON.stringify(request.body.messages).includes('<memory>') && turns === 0) return { text: `<memory>${memory}</memory>` };
      return { text: 'FINISHED' };
    });
    const sleep = await engine.sleep('pencils', { maxRewrites: 3 });
    expect(sleep.learned).toBe(memory);
    expect(sleep.branches[0]).toMatchObject({ protocol: 'text', stopReason: 'finished', rewrites: 1 });
    expect(await engine.getRun(sleep.runId)).toMatchObject({ status: 'succeeded', finishReason: 'finished', truncated: false });
    // One refused request with tools, then text only (the refusal is not retried).
    expect(modelCalls(scripted).map((request) => (request.body.tools === undefined ? 'text' : 'tools'))).toEqual(['tools', 'text', 'text']);
  });

  it('never publishes junk: the previous learned context stays, and the failed run says why', async () => {
    let junk = false;
    const { engine } = await engineOn((request) => {
      if (isPrefixWarmUp(request)) return { text: 'x' };
      const afterTool = request.body.messages?.some((message) => message.role === 'tool') ?? false;
      if (afterTool && !junk) return { toolCalls: [{ name: 'finish_rethinking', arguments: {} }] };
      return { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: junk ? 'new_memory' : memory } }] };
    });
    await engine.sleep('pencils');
    junk = true;
    const error = await sleeptimeErrorOf(engine.sleep('pencils', { maxRewrites: 2 }));
    expect(error.code).toBe('empty_learned_context');
    expect(error.message).toContain('refused: the memory is only the name "new_memory", not its content');
    expect((await engine.learnedContext('pencils'))?.record.text).toBe(memory);
    const [failed] = await engine.runs('pencils', { limit: 1 });
    expect(failed).toMatchObject({ kind: 'sleep', status: 'failed', error: { code: 'empty_learned_context' } });
  });
});
