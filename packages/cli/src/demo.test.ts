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
      : { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: 'precomputed facts' } }], usage: { prompt_tokens: 40, completion_tokens: 30 } };
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
  });
});
