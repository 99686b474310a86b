/**
 * The CLI end to end, as real child processes, against a scripted OpenAI-compatible server on
 * 127.0.0.1. The "model" answers what each test scripted: this checks the plumbing (prompts sent,
 * usage summed and stored, freshness, errors), not answer quality.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startScriptedOpenAIServer,
  type RecordedRequest,
  type ScriptedOpenAIServer,
  type ScriptedReply,
} from '@sleeptime/core/testing';
import { parseJson, runCli, temporaryDirectory } from './cli-test-support.js';

interface UsageJson {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

// Distinct numbers per call kind, so a sum that drops or doubles a call cannot pass.
const rethinkUsage = { prompt_tokens: 101, completion_tokens: 23, reasoning_tokens: 7 };
const finishUsage = { prompt_tokens: 140, completion_tokens: 5, reasoning_tokens: 2 };
const answerUsage = { prompt_tokens: 211, completion_tokens: 13, reasoning_tokens: 3 };

const learnedMemory = 'Inference: 3 apples at $2 cost $6. Likely question: total cost -> 6.';

/** Mode switches per test: `failSecondSleepCall` makes the finish call fail with a non-retryable 400. */
const behaviour = { failSecondSleepCall: false, cutAnswer: false };

function scriptedModel(request: RecordedRequest): ScriptedReply {
  const hasTools = (request.body.tools?.length ?? 0) > 0;
  if (!hasTools && behaviour.cutAnswer) return { text: 'From memory: 3 apples at $2 cost', finishReason: 'length', usage: answerUsage };
  if (!hasTools) return { text: 'From memory: the total is $6. The answer is 6.', usage: answerUsage };
  const afterToolResult = request.body.messages?.some((message) => message.role === 'tool') ?? false;
  if (!afterToolResult) {
    return { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: learnedMemory } }], usage: rethinkUsage };
  }
  if (behaviour.failSecondSleepCall) return { status: 400, errorMessage: 'scripted failure in the middle of a sleep' };
  return { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: finishUsage };
}

describe('sleeptime CLI against an OpenAI-compatible server', () => {
  let server: ScriptedOpenAIServer;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startScriptedOpenAIServer(scriptedModel);
    dataDir = await temporaryDirectory('cli-openai');
    env = { SLEEPTIME_MODEL: 'openai-compatible:scripted-model', SLEEPTIME_BASE_URL: server.baseUrl, SLEEPTIME_DATA_DIR: dataDir };
  });
  afterAll(async () => {
    await server.close();
  });

  it('puts a context, sleeps, asks and lists runs with the usage the server reported', async () => {
    const contextFile = path.join(dataDir, 'apples.txt');
    await writeFile(contextFile, 'Ana buys 3 apples. Each apple costs $2.');
    const put = parseJson(await runCli(['context', 'put', 'apples', '--file', contextFile, '--json'], env));
    expect(put).toMatchObject({ id: 'apples', version: 1 });

    const requestsBeforeSleep = server.requests.length;
    const sleepRun = await runCli(['sleep', 'apples', '--json'], env);
    expect(sleepRun.stderr).toBe('');
    const sleep = parseJson<{ contextId: string; sourceVersion: number; learned: string; usage: UsageJson }>(sleepRun);
    expect(sleep.contextId).toBe('apples');
    expect(sleep.sourceVersion).toBe(1);
    expect(sleep.learned).toBe(learnedMemory);
    expect(sleep.usage).toEqual({
      inputTokens: rethinkUsage.prompt_tokens + finishUsage.prompt_tokens,
      outputTokens: rethinkUsage.completion_tokens + finishUsage.completion_tokens,
      reasoningTokens: rethinkUsage.reasoning_tokens + finishUsage.reasoning_tokens,
    });
    const sleepRequests = server.requests.slice(requestsBeforeSleep);
    // Two agent calls, then one request that warms the server's prefix cache with the ask prefix.
    expect(sleepRequests).toHaveLength(3);
    expect(JSON.stringify(sleepRequests[0]?.body.messages)).toContain('Each apple costs $2.');
    const warmUp = sleepRequests[2];
    expect(warmUp?.body.max_tokens).toBe(1);
    expect(warmUp?.body.tools).toBeUndefined();
    expect(JSON.stringify(warmUp?.body.messages)).toContain(learnedMemory);

    const askRun = await runCli(['ask', 'apples', 'How much does Ana pay?', '--verbosity', '0', '--json'], env);
    // Machines read stdout; stderr stays quiet when all went well (no warnings, no progress).
    expect(askRun.stderr).toBe('');
    const ask = parseJson<{ answer: string; final: string; fresh: boolean; usage: UsageJson }>(askRun);
    expect(ask.answer).toContain('The answer is 6');
    expect(ask.final).toBe('6');
    expect(ask.fresh).toBe(true);
    expect(ask.usage).toEqual({
      inputTokens: answerUsage.prompt_tokens,
      outputTokens: answerUsage.completion_tokens,
      reasoningTokens: answerUsage.reasoning_tokens,
    });
    const askRequest = server.requests.at(-1);
    // The prefix the warm-up sent is exactly the ask's system message, so a prefix cache can hit.
    expect(askRequest?.body.messages?.[0]).toEqual(warmUp?.body.messages?.[0]);
    expect(JSON.stringify(askRequest?.body.messages)).toContain(learnedMemory);
    expect(JSON.stringify(askRequest?.body.messages)).toContain('How much does Ana pay?');

    const runs = parseJson<{ kind: string; status: string; usage: UsageJson }[]>(await runCli(['runs', 'apples', '--json'], env));
    expect(runs.map((run) => [run.kind, run.status])).toEqual([
      ['ask', 'succeeded'],
      ['sleep', 'succeeded'],
    ]);
    expect(runs[0]?.usage).toEqual(ask.usage);
    expect(runs[1]?.usage).toEqual(sleep.usage);

    const table = await runCli(['runs', 'apples'], env);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/ask\s+succeeded/);
  });

  it('reports a stale learned context after the context changed, and none with --no-learned', async () => {
    await runCli(['context', 'put', 'stale', '--text', 'Bo has 4 pears.'], env);
    parseJson(await runCli(['sleep', 'stale', '--json'], env));
    const changed = parseJson(await runCli(['context', 'put', 'stale', '--text', 'Bo has 5 pears.', '--json'], env));
    expect(changed).toMatchObject({ version: 2 });

    const ask = parseJson<{ fresh: boolean | null }>(await runCli(['ask', 'stale', 'How many pears?', '--json'], env));
    expect(ask.fresh).toBe(false);

    const baseline = parseJson<{ fresh: boolean | null }>(await runCli(['ask', 'stale', 'How many pears?', '--no-learned', '--json'], env));
    expect(baseline.fresh).toBeNull();
    expect(JSON.stringify(server.requests.at(-1)?.body.messages)).not.toContain(learnedMemory);
  });

  it('says when the output limit cut an answer short, and shows the limit among the run settings', async () => {
    await runCli(['context', 'put', 'cut', '--text', 'Ana buys 3 apples at $2 each.'], env);
    behaviour.cutAnswer = true;
    try {
      const ask = await runCli(['ask', 'cut', 'How much does Ana pay?', '--verbosity', '2'], env);
      expect(ask.stdout).toContain('final: (none found)');
      expect(ask.stdout.trim().split('\n').at(-1)).toBe('truncated: the answer reached the output token limit (raise it with --max-tokens)');
      const [run] = parseJson<{ truncated: boolean; truncatedBy: string; settings: { maxOutputTokens: number } }[]>(await runCli(['runs', 'cut', '--json'], env));
      expect(run).toMatchObject({ truncated: true, truncatedBy: 'max-output-tokens', settings: { maxOutputTokens: 768 } });
      expect((await runCli(['runs', 'cut'], env)).stdout).toContain('[truncated] How much');
    } finally {
      behaviour.cutAnswer = false;
    }
  });

  it('sleeps through the text protocol with --protocol text: no tools sent, stops when the memory stops changing', async () => {
    await runCli(['context', 'put', 'plain', '--text', 'Ana buys 3 apples at $2 each.'], env);
    const before = server.requests.length;
    const sleep = parseJson<{ learned: string; branches: { protocol: string; stopReason: string; rewrites: number }[] }>(
      await runCli(['sleep', 'plain', '--protocol', 'text', '--json'], env),
    );
    expect(sleep.branches[0]).toMatchObject({ protocol: 'text', stopReason: 'unchanged', rewrites: 1 });
    expect(sleep.learned).toBe('From memory: the total is $6. The answer is 6.');
    expect(server.requests.slice(before).filter((request) => request.body.tools !== undefined)).toHaveLength(0);
    const refused = await runCli(['sleep', 'plain', '--protocol', 'smoke-signals'], env);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('smoke-signals');
  });

  it('keeps the previous learned context when a sleep fails half way', async () => {
    await runCli(['context', 'put', 'fragile', '--text', 'Cy runs 5 km a day.'], env);
    const first = parseJson<{ learned: string }>(await runCli(['sleep', 'fragile', '--json'], env));
    await runCli(['context', 'put', 'fragile', '--text', 'Cy runs 6 km a day.'], env);

    behaviour.failSecondSleepCall = true;
    const failed = await runCli(['sleep', 'fragile'], env);
    behaviour.failSecondSleepCall = false;
    expect(failed.exitCode).toBe(2);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toContain('scripted failure in the middle of a sleep');

    const context = parseJson<{ version: number; learned: { text: string; sourceVersion: number; fresh: boolean } }>(
      await runCli(['context', 'get', 'fragile', '--json'], env),
    );
    expect(context.version).toBe(2);
    expect(context.learned).toEqual({ text: first.learned, sourceVersion: 1, fresh: false });
    const runs = parseJson<{ kind: string; status: string; usage: UsageJson }[]>(await runCli(['runs', 'fragile', '--json'], env));
    expect(runs[0]).toMatchObject({ kind: 'sleep', status: 'failed' });
    // The first call of the failed run was paid for and is accounted.
    expect(runs[0]?.usage.inputTokens).toBe(rethinkUsage.prompt_tokens);
  });

  it('rejects bad input with one line, a non-zero exit code and nothing written', async () => {
    const before = parseJson<unknown[]>(await runCli(['context', 'list', '--json'], env));
    const requestsBefore = server.requests.length;
    const cases: [string[], RegExp][] = [
      [['ask', 'no-such-context', 'Why?'], /no-such-context/],
      [['sleep', 'no-such-context'], /no-such-context/],
      [['runs', 'no-such-context'], /no-such-context/],
      [['context', 'put', 'empty', '--text', '   '], /empty/i],
      [['context', 'put', 'missing', '--file', path.join(dataDir, 'does-not-exist.txt')], /does-not-exist\.txt/],
      [['context', 'put', 'bad id!', '--text', 'x'], /bad id!/],
      [['ask', 'apples', 'Why?', '--verbosity', '7'], /--verbosity/],
      [['ask', 'apples', 'Why?', '--effort', 'extreme'], /--effort/],
      [['sleep', 'apples', '--parallel', '0'], /--parallel/],
      [['ask', 'apples', 'Why?', '--model', 'gpt-4o'], /model/i],
    ];
    for (const [args, pattern] of cases) {
      const run = await runCli(args, env);
      expect(run.exitCode, args.join(' ')).toBe(1);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr, args.join(' ')).toMatch(pattern);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(parseJson<unknown[]>(await runCli(['context', 'list', '--json'], env))).toEqual(before);
    expect(server.requests.length).toBe(requestsBefore);
  });

  it('writes nothing at all for a bad model spec', async () => {
    const freshDataDir = path.join(await temporaryDirectory('cli-untouched'), 'data');
    const run = await runCli(['context', 'put', 'x', '--text', 'y', '--model', 'nonsense:model'], { SLEEPTIME_DATA_DIR: freshDataDir });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/nonsense/);
    expect(existsSync(freshDataDir)).toBe(false);
  });

  it('prints errors as JSON with --json', async () => {
    const run = await runCli(['ask', 'no-such-context', 'Why?', '--json'], env);
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.stderr)).toMatchObject({ error: { code: 'context_not_found', category: 'user' } });
  });
});
