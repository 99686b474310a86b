/**
 * The CLI end to end, as real child processes, on the embedded llama path: a tiny random-weight
 * GGUF that this test writes itself, loaded by node-llama-cpp. Random weights answer noise; the
 * grammar-constrained tool calls still drive the sleep-time loop. This checks the plumbing (load,
 * tool loop, usage accounting, storage), not answer quality.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sumUsage } from '@sleeptime/core';
import { openStore } from '@sleeptime/core';
import { writeRandomLlamaGguf } from '@sleeptime/llama/testing';
import { parseJson, runCli, temporaryDirectory } from './cli-test-support.js';

interface UsageJson {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

interface RunJson {
  id: string;
  kind: string;
  status: string;
  usage: UsageJson;
}

describe('sleeptime CLI on a llama: GGUF file', () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    const directory = await temporaryDirectory('cli-llama');
    const modelPath = path.join(directory, 'random.gguf');
    // A strong bias towards JSON closers keeps random strings short, so each forced tool call ends
    // well inside the token limit. With greedy sampling the run is deterministic for this seed.
    await writeRandomLlamaGguf(modelPath, { seed: 1, logitBiasByText: { '"': 10, '}': 10, ']': 10, ',': 2 } });
    env = { SLEEPTIME_MODEL: `llama:${modelPath}`, SLEEPTIME_DATA_DIR: path.join(directory, 'data') };
  });

  it('puts, sleeps, asks and lists runs, with usage equal to the per-call usage the model reported', async () => {
    const put = parseJson(await runCli(['context', 'put', 'note', '--text', 'Ana buys 3 apples at $2 each.', '--json'], env));
    expect(put).toMatchObject({ id: 'note', version: 1 });

    const sleep = parseJson<{ contextId: string; sourceVersion: number; learned: string; usage: UsageJson; branches: { rewrites: number }[] }>(
      await runCli(['sleep', 'note', '--max-rewrites', '2', '--max-tokens', '64', '--json'], env),
    );
    expect(sleep.contextId).toBe('note');
    expect(sleep.sourceVersion).toBe(1);
    expect(sleep.learned.length).toBeGreaterThan(0);
    expect(sleep.branches[0]?.rewrites).toBeGreaterThanOrEqual(1);
    expect(sleep.usage.inputTokens).toBeGreaterThan(0);
    expect(sleep.usage.outputTokens).toBeGreaterThan(0);

    const ask = parseJson<{ answer: string; fresh: boolean; usage: UsageJson }>(
      await runCli(['ask', 'note', 'How much does Ana pay?', '--verbosity', '0', '--max-tokens', '16', '--json'], env),
    );
    expect(ask.fresh).toBe(true);
    expect(ask.usage.inputTokens).toBeGreaterThan(0);
    expect(ask.usage.outputTokens).toBeGreaterThan(0);
    expect(ask.usage.outputTokens).toBeLessThanOrEqual(16);

    const runs = parseJson<RunJson[]>(await runCli(['runs', 'note', '--json'], env));
    expect(runs.map((run) => [run.kind, run.status])).toEqual([
      ['ask', 'succeeded'],
      ['sleep', 'succeeded'],
    ]);
    expect(runs[0]?.usage).toEqual(ask.usage);
    expect(runs[1]?.usage).toEqual(sleep.usage);

    // Each model call's usage, as the llama model reported it, was stored; the printed sums match them.
    const store = await openStore({ kind: 'sqlite', dataDir: env.SLEEPTIME_DATA_DIR ?? '' });
    try {
      const sleepCalls = await store.runs.calls(runs[1]?.id ?? '');
      const askCalls = await store.runs.calls(runs[0]?.id ?? '');
      expect(sleepCalls.length).toBeGreaterThanOrEqual(2);
      expect(askCalls).toHaveLength(1);
      expect(sumUsage(sleepCalls.map((call) => call.usage))).toEqual(sleep.usage);
      expect(sumUsage(askCalls.map((call) => call.usage))).toEqual(ask.usage);
    } finally {
      await store.close();
    }
  });
});
