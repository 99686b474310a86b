/**
 * The CLI end to end on a real instruct model (the real-model tier: see
 * @sleeptime/core/testing's describeWithRealModel), as real child processes: put, sleep, and ask
 * with and without the learned context. Each command is a new process, so the ask after the sleep
 * also checks that a restarted process reuses the prefix state the sleep saved. Mechanics and bounds
 * only: the model is far too small for its answers to be right.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore, type RunRecord } from '@sleeptime/core';
import { describeWithRealModel } from '@sleeptime/core/testing';
import { parseJson, runCli, temporaryDirectory } from './cli-test-support.js';

/** A child process and a test on 2 busy cores: generous, since a stuck generation is what the bounds below catch. */
const processTimeoutMs = 540_000;
const testTimeoutMs = 900_000;

const context = 'Ana buys 3 notebooks at $4 each and pays with a $20 bill.';
const question = 'How much change does Ana get?';
const askMaxTokens = 48;
const sleepMaxTokens = 64;

interface Usage {
  inputTokens: number;
  outputTokens: number;
}

interface AskJson {
  runId: string;
  answer: string;
  fresh: boolean | null;
  learnedContextId: number | null;
  usage: Usage;
  prefixCacheHit: boolean | null;
}

interface SleepJson {
  runId: string;
  learned: string;
  learnedContextId: number;
  usage: Usage;
  branches: { rewrites: number; memory: string }[];
  prefixWarmUp: { status: string; prefixTokens: number } | null;
}

describeWithRealModel('sleeptime CLI on a real model', { describe, it }, (model) => {
  let env: Record<string, string>;
  let dataDir: string;

  beforeAll(async () => {
    const directory = await temporaryDirectory('cli-real-model');
    dataDir = path.join(directory, 'data');
    env = { SLEEPTIME_MODEL: model.spec, SLEEPTIME_DATA_DIR: dataDir };
  });

  async function cli<T>(args: string[]): Promise<T> {
    return parseJson<T>(await runCli([...args, '--json'], env, processTimeoutMs));
  }

  async function storedRun(runId: string): Promise<{ run: RunRecord | undefined; callOutputTokens: number[] }> {
    const store = await openStore({ kind: 'sqlite', dataDir });
    try {
      const runs = await store.runs.list('ana');
      const calls = await store.runs.calls(runId);
      return { run: runs.find((run) => run.id === runId), callOutputTokens: calls.map((call) => call.usage.outputTokens) };
    } finally {
      await store.close();
    }
  }

  it(
    'puts, asks without a learned context, sleeps, then asks with and without it in new processes, within the limits given',
    async () => {
      expect(await cli(['context', 'put', 'ana', '--text', context])).toMatchObject({ id: 'ana', version: 1 });

      // Before any sleep: no learned context, nothing precomputed.
      const before = await cli<AskJson>(['ask', 'ana', question, '--max-tokens', String(askMaxTokens)]);
      expect(before).toMatchObject({ fresh: null, learnedContextId: null, prefixCacheHit: false });
      expect(before.answer.trim()).not.toBe('');
      expect(before.usage.outputTokens).toBeGreaterThan(0);
      expect(before.usage.outputTokens).toBeLessThanOrEqual(askMaxTokens);

      const sleep = await cli<SleepJson>(['sleep', 'ana', '--max-rewrites', '1', '--max-tokens', String(sleepMaxTokens)]);
      expect(sleep.learned.trim()).not.toBe('');
      expect(sleep.branches).toHaveLength(1);
      expect(sleep.branches[0]?.rewrites).toBe(1);
      // The prompt prefix of the next asks was evaluated and its state saved for other processes.
      expect(sleep.prefixWarmUp).toMatchObject({ status: 'saved' });
      expect(sleep.prefixWarmUp?.prefixTokens).toBeGreaterThan(0);
      expect((await readdir(path.join(dataDir, 'prefix-states'), { recursive: true })).length).toBeGreaterThan(0);
      // Every sleep-time call kept to --max-tokens.
      const sleepCalls = (await storedRun(sleep.runId)).callOutputTokens;
      expect(sleepCalls.length).toBeGreaterThanOrEqual(1);
      for (const outputTokens of sleepCalls) expect(outputTokens).toBeLessThanOrEqual(sleepMaxTokens);

      // A new process: the learned context is in the prompt, and the prefix comes from the saved state.
      const withLearned = await cli<AskJson>(['ask', 'ana', question, '--max-tokens', String(askMaxTokens)]);
      expect(withLearned).toMatchObject({ fresh: true, learnedContextId: sleep.learnedContextId, prefixCacheHit: true });
      expect(withLearned.usage.outputTokens).toBeGreaterThan(0);
      expect(withLearned.usage.outputTokens).toBeLessThanOrEqual(askMaxTokens);
      expect(withLearned.usage.inputTokens).toBeGreaterThan(before.usage.inputTokens);
      expect((await storedRun(withLearned.runId)).run).toMatchObject({ kind: 'ask', status: 'succeeded', prefixCacheHit: true, learnedContextId: sleep.learnedContextId });

      // The test-time-only baseline leaves it out: the same prompt as before the sleep.
      const withoutLearned = await cli<AskJson>(['ask', 'ana', question, '--no-learned', '--max-tokens', String(askMaxTokens)]);
      expect(withoutLearned).toMatchObject({ fresh: null, learnedContextId: null });
      expect(withoutLearned.usage.inputTokens).toBe(before.usage.inputTokens);
      expect(withoutLearned.usage.outputTokens).toBeLessThanOrEqual(askMaxTokens);

      const runs = await cli<{ kind: string; status: string }[]>(['runs', 'ana']);
      expect(runs.map((run) => [run.kind, run.status])).toEqual([
        ['ask', 'succeeded'],
        ['ask', 'succeeded'],
        ['sleep', 'succeeded'],
        ['ask', 'succeeded'],
      ]);
    },
    testTimeoutMs,
  );
});
