/**
 * Bounds on a real instruct model (the real-model tier): the demo ends within the bounds it is given
 * and prints what it computed; the ask that once generated 7,932 tokens over 643 s ("The answer is
 * 2." over and over, at verbosity 4) ends within the default output limit. Mechanics and bounds only:
 * the model is far too small for its answers to be right.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultAskMaxOutputTokens, openStore } from '@sleeptime/core';
import { describeWithRealModel } from '@sleeptime/core/testing';
import { demoContexts } from './demo.js';
import { parseJson, runCli, temporaryDirectory } from './cli-test-support.js';

const processTimeoutMs = 540_000;
const testTimeoutMs = 600_000;

describeWithRealModel('bounds on a real model', { describe, it }, (model) => {
  it(
    'the demo ends within its bounds, with a progress line per sleep-time call and every answer it computed',
    async () => {
      const dataDir = path.join(await temporaryDirectory('demo-real-model'), 'data');
      const maxTokens = 48;
      const maxRewrites = 2;
      const run = await runCli(['demo', '--max-rewrites', String(maxRewrites), '--max-tokens', String(maxTokens)], { SLEEPTIME_MODEL: model.spec, SLEEPTIME_DATA_DIR: dataDir }, processTimeoutMs);
      // A step may fail on a model this small (a memory too poor to publish): then it says so and goes on.
      expect([0, 2]).toContain(run.exitCode);
      if (run.exitCode === 2) expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^sleeptime: the demo finished with \d+ failed step/);
      for (const context of demoContexts) {
        for (const { question } of context.questions) expect(run.stdout).toContain(`${context.id}: ${question} expected`);
      }
      expect(run.stdout).toContain('Test-time tokens generated:');
      expect(run.stderr).toMatch(/ {2}sleep call 1: \d+ in, \d+ out/);

      const store = await openStore({ kind: 'sqlite', dataDir });
      try {
        for (const context of demoContexts) {
          const runs = await store.runs.list(context.id);
          // One sleep and two asks per question, none left running.
          expect(runs.filter((record) => record.kind === 'sleep')).toHaveLength(1);
          expect(runs.filter((record) => record.kind === 'ask').length).toBeGreaterThanOrEqual(context.questions.length);
          for (const record of runs) {
            expect(record.status).not.toBe('running');
            const calls = await store.runs.calls(record.id);
            // At most maxRewrites plus 5 model calls (the agent's hard cap).
            if (record.kind === 'sleep') expect(calls.length).toBeLessThanOrEqual(maxRewrites + 5);
            for (const call of calls) expect(call.usage.outputTokens).toBeLessThanOrEqual(maxTokens);
          }
        }
      } finally {
        await store.close();
      }
    },
    testTimeoutMs,
  );

  it(
    'the verbosity-4 ask that looped for 643 s ends within the default output limit, and says how it ended',
    async () => {
      const env = { SLEEPTIME_MODEL: model.spec, SLEEPTIME_DATA_DIR: path.join(await temporaryDirectory('loop-real-model'), 'data') };
      await runCli(['context', 'put', 'ana', '--text', 'Ana buys 3 notebooks at $4 each and pays with a $20 bill.'], env, processTimeoutMs);
      // No --max-tokens: the defaults (and the local model's repetition guard) are what is tested.
      const answer = parseJson<{ usage: { outputTokens: number }; finishReason: string; truncated: boolean; truncatedBy: string | null }>(
        await runCli(['ask', 'ana', 'How much change does Ana get?', '--verbosity', '4', '--no-learned', '--json'], env, processTimeoutMs),
      );
      expect(answer.usage.outputTokens).toBeGreaterThan(0);
      expect(answer.usage.outputTokens).toBeLessThanOrEqual(defaultAskMaxOutputTokens[4]);
      expect(answer.finishReason === 'stop' || answer.truncated).toBe(true);
      if (answer.truncated) expect(['max-output-tokens', 'repetition']).toContain(answer.truncatedBy);
    },
    testTimeoutMs,
  );
});
