/**
 * The demonstration (`npm run demo`) against a scripted OpenAI-compatible server: a scripted model
 * answers what the test says, so this checks the demo's flow and table, not answer quality.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';
import { temporaryDirectory } from './cli-test-support.js';
import { demoContexts } from './demo.js';
import { main } from './main.js';

const expectedByQuestion = new Map(demoContexts.flatMap((context) => context.questions.map((item) => [item.question, item.expected])));

function scriptedModel(request: RecordedRequest): ScriptedReply {
  if ((request.body.tools?.length ?? 0) > 0) {
    const afterToolResult = request.body.messages?.some((message) => message.role === 'tool') ?? false;
    return afterToolResult
      ? { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: { prompt_tokens: 50, completion_tokens: 3 } }
      : { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: 'precomputed facts about the context' } }], usage: { prompt_tokens: 40, completion_tokens: 30 } };
  }
  const messages = JSON.stringify(request.body.messages);
  const question = [...expectedByQuestion.keys()].find((candidate) => messages.includes(candidate));
  const usesLearned = messages.includes('precomputed facts');
  // With the learned context the scripted answer is right and short; without it, long and wrong.
  return usesLearned
    ? { text: `The answer is ${expectedByQuestion.get(question ?? '')}.`, usage: { prompt_tokens: 100, completion_tokens: 7 } }
    : { text: 'Let me work through this step by step... The answer is 1.', usage: { prompt_tokens: 90, completion_tokens: 40 } };
}

describe('sleeptime demo', () => {
  let server: ScriptedOpenAIServer;
  beforeAll(async () => {
    server = await startScriptedOpenAIServer(scriptedModel);
  });
  afterAll(async () => {
    await server.close();
  });

  it('sleeps on each context, asks with and without the learned context, and prints the table', async () => {
    const dataDir = await temporaryDirectory('demo');
    let stdout = '';
    let stderr = '';
    const exitCode = await main(
      ['node', 'sleeptime', 'demo', '--model', 'openai-compatible:scripted', '--base-url', server.baseUrl, '--data-dir', dataDir],
      { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
    );
    expect(stderr).not.toContain('sleeptime:');
    expect(exitCode).toBe(0);
    const questions = demoContexts.flatMap((context) => context.questions);
    // Per context: two sleep calls and one prefix warm-up (max_tokens 1); two asks per question.
    expect(server.requests).toHaveLength(demoContexts.length * 3 + questions.length * 2);
    expect(server.requests.filter((request) => request.body.max_tokens === 1)).toHaveLength(demoContexts.length);
    for (const context of demoContexts) expect(stdout).toContain(context.id);
    expect(stdout).toContain(`Test-time tokens generated: ${questions.length * 7} with the learned context, ${questions.length * 40} without`);
    expect(stdout).toContain(`Correct: ${questions.length}/${questions.length} with the learned context, 0/${questions.length} without.`);
    // Each answer as it comes, before the table; and a progress line per sleep-time call.
    const firstQuestion = demoContexts[0]?.questions[0];
    expect(stdout.indexOf(`${demoContexts[0]?.id}: ${firstQuestion?.question} expected ${firstQuestion?.expected} | with learned: ${firstQuestion?.expected} (7 tokens)`)).toBeLessThan(stdout.indexOf('context  '));
    expect(stderr.match(/ {2}sleep call \d+: \d+ in, \d+ out/g)).toHaveLength(demoContexts.length * 2);
  });

  it('after a failed sleep or ask says so in one line and goes on, prints what it computed, and exits non-zero', async () => {
    const junkServer = await startScriptedOpenAIServer((request) => {
      const messages = JSON.stringify(request.body.messages);
      const roadTrip = messages.includes('Maya drives');
      if ((request.body.tools?.length ?? 0) > 0) {
        // The road trip's sleep writes only a number: not a learned context worth publishing.
        if (roadTrip) return { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: '200' } }], usage: { prompt_tokens: 40, completion_tokens: 3 } };
        return scriptedModel(request);
      }
      if (roadTrip && messages.includes('How much does the fuel')) return { status: 400, errorMessage: 'context length exceeded (scripted)' };
      return scriptedModel(request);
    });
    try {
      const dataDir = await temporaryDirectory('demo-failures');
      let stdout = '';
      let stderr = '';
      const exitCode = await main(
        ['node', 'sleeptime', 'demo', '--model', 'openai-compatible:scripted', '--base-url', junkServer.baseUrl, '--data-dir', dataDir, '--max-rewrites', '2'],
        { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
      );
      expect(exitCode).toBe(2);
      // The road trip's sleep: refused twice (not published), then the step cap of 2 + 5 calls.
      expect(stderr).toMatch(/demo-road-trip: sleep failed: The model wrote no usable memory.*fewer than.*\[empty_learned_context\]/);
      expect(stderr).toContain('demo-road-trip: asking without a learned context');
      expect(stderr).toMatch(/demo-road-trip: test-time-only ask failed: .*context length exceeded/);
      expect(stderr.trim().split('\n').at(-1)).toMatch(/^sleeptime: the demo finished with 2 failed step\(s\)/);
      // Every answer that was computed is on stdout, in the table too.
      for (const { question, expected } of demoContexts[0]?.questions ?? []) expect(stdout).toContain(`demo-bakery: ${question} expected ${expected} | with learned: ${expected}`);
      expect(stdout).toMatch(/demo-road-trip: How many hours does Maya spend driving in total\? expected 7 \| with learned: no learned context/);
      expect(stdout).toContain('Correct: 3/6 with the learned context, 0/6 without.');
    } finally {
      await junkServer.close();
    }
  });
});
