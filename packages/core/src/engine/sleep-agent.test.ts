import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APICallError, tool } from 'ai';
import { z } from 'zod';
import { createWorktree, type RepositoryWorktree } from '../repository/worktree.js';
import { readOnlyRepositoryTools } from '../repository/repository-tools.js';
import { createTestGitRepository, type TestGitRepository } from '../testing/test-git-repository.js';
import { sleeptimeErrorOf } from '../testing/sleeptime-error-of.js';
import { defaultMaxExplorationSteps } from './engine-defaults.js';
import { parseTextReply, runSleepAgent } from './sleep-agent.js';
import { memoryCharacters, minimumMemoryCharacters, oversizedMemoryReason, unusableMemoryReason } from './sleep-memory.js';
import {
  finish,
  markerProviderOptions,
  promptText,
  rethink,
  scriptedLanguageModel,
  systemMessage,
  textReply,
  toolCallsReply,
  userMessageText,
} from '../testing/mock-models.js';

const contextText = 'Ana has 3 boxes with 12 pencils each. She gives 5 pencils to Ben.';

describe('runSleepAgent', () => {
  it('keeps the last rewrite, stops on finish_rethinking and reports every call with its usage', async () => {
    const languageModel = scriptedLanguageModel([
      rethink('draft: 36 pencils', { input: 100, output: 20, reasoning: 7 }),
      rethink('Ana starts with 3 * 12 = 36 pencils; after giving 5 she has 31.', { input: 150, output: 30, reasoning: 11 }),
      finish({ input: 200, output: 5, reasoning: 2 }),
    ]);
    const rewritesSeen: number[] = [];
    const result = await runSleepAgent({
      languageModel,
      contextText,
      callSettings: { maxOutputTokens: 321, providerOptions: markerProviderOptions },
      temperature: 0,
      onRewrite: (rewrites) => rewritesSeen.push(rewrites),
    });

    expect(result.memory).toBe('Ana starts with 3 * 12 = 36 pencils; after giving 5 she has 31.');
    expect(result.rewrites).toBe(2);
    expect(result.stopReason).toBe('finished');
    expect(rewritesSeen).toEqual([1, 2]);
    expect(languageModel.doGenerateCalls).toHaveLength(3);
    expect(result.calls.map((call) => call.step)).toEqual([0, 1, 2]);
    expect(result.calls.map((call) => call.usage)).toEqual([
      { inputTokens: 100, outputTokens: 20, reasoningTokens: 7 },
      { inputTokens: 150, outputTokens: 30, reasoningTokens: 11 },
      { inputTokens: 200, outputTokens: 5, reasoningTokens: 2 },
    ]);
    expect(result.calls.map((call) => call.finishReason)).toEqual(['tool-calls', 'tool-calls', 'tool-calls']);
    expect(result.calls[1]?.rawUsage.raw).toEqual({ prompt_tokens: 150, completion_tokens: 30, reasoning_tokens: 11 });

    const first = languageModel.doGenerateCalls[0];
    // The first call must rewrite the memory; once it holds something, either tool may follow.
    expect(first?.toolChoice).toEqual({ type: 'tool', toolName: 'rethink_memory' });
    expect(languageModel.doGenerateCalls[1]?.toolChoice).toEqual({ type: 'required' });
    expect(first?.tools?.map((tool) => tool.name).sort()).toEqual(['finish_rethinking', 'rethink_memory']);
    expect(first?.maxOutputTokens).toBe(321);
    expect(first?.providerOptions).toEqual(markerProviderOptions);
    expect(first?.temperature).toBe(0);
    expect(systemMessage(first?.prompt ?? [])).toContain('rethink_memory');
    expect(userMessageText(first?.prompt ?? [])).toContain(contextText);
    expect(userMessageText(first?.prompt ?? [])).not.toContain('<examples>');
  });

  it('gives the AIME instructions (part of a problem now, the rest later) when asked, under either protocol', async () => {
    const systemOf = async (options: { promptStyle?: 'default' | 'aime'; protocol: 'tools' | 'text' }) => {
      const languageModel = scriptedLanguageModel([options.protocol === 'tools' ? finish({ input: 1, output: 1 }) : textReply('<memory>Ana starts with 36 pencils and has 31 left.</memory>', { input: 1, output: 1 })]);
      await runSleepAgent({ languageModel, contextText, maxRewrites: 1, ...options });
      return systemMessage(languageModel.doGenerateCalls[0]?.prompt ?? []);
    };
    for (const protocol of ['tools', 'text'] as const) {
      const aime = await systemOf({ promptStyle: 'aime', protocol });
      expect(aime).toMatch(/part of a competition math\s+problem \(AIME\) now; the rest of the problem, with its question, will be given to you later/);
      expect(aime).toMatch(/Predict the ways the rest of the problem might go/);
      expect(aime).toContain(protocol === 'tools' ? 'rethink_memory(new_memory)' : '<memory>');
      const standard = await systemOf({ protocol });
      expect(standard).not.toContain('AIME');
      expect(await systemOf({ promptStyle: 'default', protocol })).toBe(standard);
    }
  });

  it('puts example questions in their own block of the trigger message', async () => {
    const languageModel = scriptedLanguageModel([finish({ input: 1, output: 1 })]);
    await runSleepAgent({ languageModel, contextText, examples: ['How many pencils are left?', '  '] });
    const trigger = userMessageText(languageModel.doGenerateCalls[0]?.prompt ?? []);
    expect(trigger).toMatch(/<examples>\n- How many pencils are left\?\n<\/examples>/);
  });

  it('stops with an empty memory when a model ignores the forced first rewrite and calls finish', async () => {
    const result = await runSleepAgent({
      languageModel: scriptedLanguageModel([finish({ input: 10, output: 1 })]),
      contextText,
    });
    // The AI SDK refuses a call to a tool other than the forced one; the call was still paid for.
    expect(result).toMatchObject({ memory: '', rewrites: 0, stopReason: 'model-stopped' });
    expect(result.calls).toHaveLength(1);
  });

  it('stops after maxRewrites rewrites without another model call', async () => {
    const languageModel = scriptedLanguageModel([
      rethink('first memory', { input: 1, output: 1 }),
      rethink('second memory', { input: 1, output: 1 }),
      rethink('third memory', { input: 1, output: 1 }),
    ]);
    const result = await runSleepAgent({ languageModel, contextText, maxRewrites: 2 });
    expect(result).toMatchObject({ memory: 'second memory', rewrites: 2, stopReason: 'max-rewrites' });
    expect(languageModel.doGenerateCalls).toHaveLength(2);
  });

  it('refuses rewrites beyond the limit made within one step', async () => {
    const languageModel = scriptedLanguageModel([
      toolCallsReply(
        [
          { toolName: 'rethink_memory', input: { new_memory: 'first memory' } },
          { toolName: 'rethink_memory', input: { new_memory: 'second, over the limit' } },
        ],
        { input: 1, output: 1 },
      ),
    ]);
    const result = await runSleepAgent({ languageModel, contextText, maxRewrites: 1 });
    expect(result).toMatchObject({ memory: 'first memory', rewrites: 1, stopReason: 'max-rewrites' });
  });

  it('shows a malformed tool call to the model as an error, counts it as a step, and goes on', async () => {
    const languageModel = scriptedLanguageModel([
      toolCallsReply([{ toolName: 'rethink_memory', input: { memory: 'wrong field name' } }], { input: 10, output: 3 }),
      toolCallsReply([{ toolName: 'rethink_memory', input: '{"new_memory": "unterminated' }], { input: 20, output: 4 }),
      rethink('fixed memory', { input: 40, output: 6 }),
      // Only once a rewrite happened may the model pick a tool freely (the first rewrite is forced).
      toolCallsReply([{ toolName: 'rewrite_everything', input: {} }], { input: 30, output: 5 }),
      finish({ input: 50, output: 1 }),
    ]);
    const result = await runSleepAgent({ languageModel, contextText });

    expect(result).toMatchObject({ memory: 'fixed memory', rewrites: 1, stopReason: 'finished' });
    expect(result.calls.map((call) => call.usage.inputTokens)).toEqual([10, 20, 40, 30, 50]);
    // Each error reaches the model on its next call, as the result of the call that caused it.
    const lastToolOutput = (callIndex: number) => {
      const last = languageModel.doGenerateCalls[callIndex]?.prompt.at(-1);
      if (last?.role !== 'tool') throw new Error(`call ${callIndex} does not end with a tool message`);
      const part = last.content[0];
      if (part?.type !== 'tool-result') throw new Error('not a tool result');
      return part.output;
    };
    expect(lastToolOutput(1)).toMatchObject({ type: 'error-text', value: expect.stringMatching(/Invalid input for tool rethink_memory[\s\S]*new_memory/) });
    expect(lastToolOutput(2)).toMatchObject({ type: 'error-text', value: expect.stringContaining('JSON parsing failed') });
    expect(lastToolOutput(3)).toMatchObject({ type: 'text', value: expect.stringContaining('Memory rewritten') });
    expect(lastToolOutput(4)).toMatchObject({ type: 'error-text', value: expect.stringContaining("unavailable tool 'rewrite_everything'") });
  });

  it('refuses an empty memory as invalid input without counting it as a rewrite', async () => {
    const languageModel = scriptedLanguageModel([
      rethink('   ', { input: 1, output: 1 }),
      rethink('kept memory', { input: 1, output: 1 }),
      finish({ input: 1, output: 1 }),
    ]);
    const result = await runSleepAgent({ languageModel, contextText });
    expect(result).toMatchObject({ memory: 'kept memory', rewrites: 1, stopReason: 'finished' });
    expect(promptText(languageModel.doGenerateCalls[1]?.prompt.slice(-1) ?? [])).toContain('must not be empty');
  });

  it('stops at the hard step cap when the model keeps making malformed calls', async () => {
    const malformed = () => toolCallsReply([{ toolName: 'rethink_memory', input: { nope: true } }], { input: 5, output: 2 });
    const languageModel = scriptedLanguageModel(Array.from({ length: 20 }, malformed));
    const result = await runSleepAgent({ languageModel, contextText, maxRewrites: 2, maxSteps: 4 });
    expect(result).toMatchObject({ memory: '', rewrites: 0, stopReason: 'step-limit' });
    expect(languageModel.doGenerateCalls).toHaveLength(4);
    expect(result.calls).toHaveLength(4);
  });

  it('defaults the step cap to a little above maxRewrites', async () => {
    const malformed = () => toolCallsReply([{ toolName: 'rethink_memory', input: {} }], { input: 1, output: 1 });
    const languageModel = scriptedLanguageModel(Array.from({ length: 50 }, malformed));
    const result = await runSleepAgent({ languageModel, contextText, maxRewrites: 3 });
    expect(result.stopReason).toBe('step-limit');
    expect(languageModel.doGenerateCalls).toHaveLength(8);
  });

  it('keeps the memory and records the call when the model replies without a tool call', async () => {
    const languageModel = scriptedLanguageModel([
      rethink('kept memory', { input: 10, output: 10 }),
      textReply('I am done thinking.', { input: 20, output: 5, reasoning: 1 }),
    ]);
    const result = await runSleepAgent({ languageModel, contextText });
    expect(result).toMatchObject({ memory: 'kept memory', rewrites: 1, stopReason: 'model-stopped' });
    expect(result.calls.map((call) => call.usage)).toEqual([
      { inputTokens: 10, outputTokens: 10, reasoningTokens: 0 },
      { inputTokens: 20, outputTokens: 5, reasoningTokens: 1 },
    ]);
  });

  it('propagates a model failure after reporting the calls that succeeded', async () => {
    const reported: number[] = [];
    const languageModel = scriptedLanguageModel([rethink('memory of the context', { input: 1, output: 1 }), new Error('provider exploded')]);
    await expect(
      runSleepAgent({ languageModel, contextText, onCall: (call) => void reported.push(call.step) }),
    ).rejects.toThrow('provider exploded');
    expect(reported).toEqual([0]);
  });

  it('fails the loop when recording a call fails, rather than losing the record', async () => {
    const languageModel = scriptedLanguageModel([rethink('memory of the context', { input: 1, output: 1 }), finish({ input: 1, output: 1 })]);
    await expect(
      runSleepAgent({
        languageModel,
        contextText,
        onCall: () => {
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(languageModel.doGenerateCalls).toHaveLength(1);
  });

  it('stops on its own when a rewrite leaves the memory unchanged, without counting it', async () => {
    const memory = 'Ana has 36 pencils, then 31 after giving 5 to Ben.';
    const languageModel = scriptedLanguageModel([
      rethink(memory, { input: 1, output: 1 }),
      // Whitespace aside, the same memory: more rewrites would not change it either.
      rethink(`  ${memory.replace(' then', '\n then')} `, { input: 1, output: 1 }),
      rethink('never reached', { input: 1, output: 1 }),
    ]);
    const result = await runSleepAgent({ languageModel, contextText });
    expect(result).toMatchObject({ memory, rewrites: 1, stopReason: 'unchanged' });
    expect(languageModel.doGenerateCalls).toHaveLength(2);
  });

  it('refuses a memory too short to be useful or naming a tool parameter, tells the model why, and goes on', async () => {
    const languageModel = scriptedLanguageModel([
      rethink('31', { input: 1, output: 1 }),
      rethink('new_memory', { input: 1, output: 1 }),
      rethink('{"new_memory": ', { input: 1, output: 1 }),
      rethink('Ana: 3 boxes x 12 = 36 pencils; 36 - 5 = 31 left.', { input: 1, output: 1 }),
      finish({ input: 1, output: 1 }),
    ]);
    const result = await runSleepAgent({ languageModel, contextText });
    expect(result).toMatchObject({ memory: 'Ana: 3 boxes x 12 = 36 pencils; 36 - 5 = 31 left.', rewrites: 1, stopReason: 'finished' });
    expect(result.refusals).toEqual([
      `the memory has 2 characters, fewer than the ${minimumMemoryCharacters(contextText.length)} anything useful about this context needs`,
      'the memory is only the name "new_memory", not its content',
      'the memory is only the name "new_memory", not its content',
    ]);
    expect(promptText(languageModel.doGenerateCalls[1]?.prompt.slice(-1) ?? [])).toContain('Not applied: the memory has 2 characters');
  });

  describe('a memory block with a size limit (maxMemoryCharacters, the released runs\' 5,000-character block)', () => {
    const fits = 'Ana: 3 boxes x 12 = 36 pencils; 36 - 5 = 31 left. Ben has 5.';
    const tooLong = `${fits} ${'Possible question: how many pencils in all? 36. '.repeat(3)}`;

    it('states the limit, refuses a longer rewrite with a message naming it, keeps the memory, and lets the model write a shorter one', async () => {
      const languageModel = scriptedLanguageModel([
        rethink(tooLong, { input: 1, output: 1 }),
        rethink(fits, { input: 1, output: 1 }),
        rethink(`${tooLong} more`, { input: 1, output: 1 }),
        finish({ input: 1, output: 1 }),
      ]);
      const result = await runSleepAgent({ languageModel, contextText, maxMemoryCharacters: 100 });
      expect(result).toMatchObject({ memory: fits, rewrites: 1, stopReason: 'finished' });
      expect(result.refusals).toEqual([
        `the memory has ${tooLong.length} characters, more than the memory block's limit of 100`,
        `the memory has ${tooLong.length + 5} characters, more than the memory block's limit of 100`,
      ]);
      expect(userMessageText(languageModel.doGenerateCalls[0]?.prompt ?? [])).toContain('Your memory block is empty and holds at most 100 characters.');
      const told = (call: number) => promptText(languageModel.doGenerateCalls[call]?.prompt.slice(-1) ?? []);
      expect(told(1)).toContain(`Not applied: the memory has ${tooLong.length} characters, more than the memory block's limit of 100. The memory block is still empty. Rewrite it in at most 100 characters`);
      expect(told(2)).toContain(`Memory rewritten (${fits.length} of at most 100 characters).`);
      expect(told(3)).toContain('The memory block keeps its previous version. Rewrite it in at most 100 characters');
    });

    it('takes a memory of exactly the limit, counting characters as code points, not UTF-16 units', () => {
      expect(oversizedMemoryReason('x'.repeat(100), 100)).toBeUndefined();
      expect(oversizedMemoryReason('x'.repeat(101), 100)).toBe("the memory has 101 characters, more than the memory block's limit of 100");
      const astral = '\u{1D465}'.repeat(100);
      expect(astral.length).toBe(200);
      expect(memoryCharacters(astral)).toBe(100);
      expect(oversizedMemoryReason(astral, 100)).toBeUndefined();
      expect(oversizedMemoryReason('x'.repeat(1_000_000), undefined)).toBeUndefined();
    });

    it('refuses the same way under the text protocol', async () => {
      const languageModel = scriptedLanguageModel([
        textReply(`<memory>${tooLong}</memory>`, { input: 1, output: 1 }),
        textReply(`<memory>${fits}</memory>\nFINISHED`, { input: 1, output: 1 }),
      ]);
      const result = await runSleepAgent({ languageModel, contextText, protocol: 'text', maxMemoryCharacters: 100 });
      expect(result).toMatchObject({ memory: fits, rewrites: 1, stopReason: 'finished', refusals: [`the memory has ${tooLong.length} characters, more than the memory block's limit of 100`] });
      expect(userMessageText(languageModel.doGenerateCalls[0]?.prompt ?? [])).toContain('holds at most 100 characters');
      expect(promptText(languageModel.doGenerateCalls[1]?.prompt.slice(-1) ?? [])).toContain("more than the memory block's limit of 100");
    });

    it('ends with no memory at the step cap when every rewrite is too long', async () => {
      const languageModel = scriptedLanguageModel(Array.from({ length: 4 }, () => rethink(tooLong, { input: 1, output: 1 })));
      const result = await runSleepAgent({ languageModel, contextText, maxRewrites: 1, maxSteps: 4, maxMemoryCharacters: 100 });
      expect(result).toMatchObject({ memory: '', rewrites: 0, stopReason: 'step-limit' });
      expect(result.refusals).toHaveLength(4);
    });

    it('has no limit by default: the trigger says nothing of one and a long memory is kept', async () => {
      const long = `${fits} ${'More notes on the pencils. '.repeat(400)}`;
      const languageModel = scriptedLanguageModel([rethink(long, { input: 1, output: 1 }), finish({ input: 1, output: 1 })]);
      const result = await runSleepAgent({ languageModel, contextText });
      expect(result).toMatchObject({ memory: long, rewrites: 1, refusals: [] });
      expect(userMessageText(languageModel.doGenerateCalls[0]?.prompt ?? [])).toContain('Your memory block is empty. You may rewrite it');
      expect(promptText(languageModel.doGenerateCalls[1]?.prompt.slice(-1) ?? [])).toContain(`Memory rewritten (${long.length} characters).`);
    });
  });

  it('judges memories by the length of their context', () => {
    expect(minimumMemoryCharacters(10)).toBe(4);
    expect(minimumMemoryCharacters(199)).toBe(25);
    expect(minimumMemoryCharacters(100_000)).toBe(32);
    expect(unusableMemoryReason('200', 'x'.repeat(199))).toMatch(/3 characters, fewer than the 25/);
    expect(unusableMemoryReason('x = 3', 'x is 3')).toBeUndefined();
    expect(unusableMemoryReason(' "rethink_memory" ', 'x'.repeat(40))).toMatch(/only the name "rethink_memory"/);
    expect(unusableMemoryReason('\n\t ', 'x')).toBe('the memory is empty');
  });

  describe('the text protocol (models and servers without tool calling)', () => {
    it('reads each reply as a memory between tags or the finish word', () => {
      expect(parseTextReply('Thinking... <memory>first</memory> then <memory>\nsecond\n</memory>')).toEqual({ memory: '\nsecond\n', finish: false });
      expect(parseTextReply('<memory>all of it</memory>\nFINISHED')).toEqual({ memory: 'all of it', finish: true });
      expect(parseTextReply('FINISHED.')).toEqual({ finish: true });
      // Cut off before the closing tag: the text so far.
      expect(parseTextReply('<memory>half of')).toEqual({ memory: 'half of', finish: false });
      // A model that ignores the format: the whole reply.
      expect(parseTextReply('Ana has 31 pencils left.')).toEqual({ memory: 'Ana has 31 pencils left.', finish: false });
      expect(parseTextReply('  \n')).toEqual({ finish: false });
    });

    it('rewrites through tagged replies, without tools, and ends on the finish word', async () => {
      const languageModel = scriptedLanguageModel([
        textReply('<memory>Ana has 3 x 12 = 36 pencils.</memory>', { input: 10, output: 5 }),
        textReply('<memory>Ana has 3 x 12 = 36 pencils; after giving 5 she has 31.</memory>', { input: 20, output: 9 }),
        textReply('FINISHED', { input: 30, output: 1 }),
      ]);
      const rewrites: number[] = [];
      const result = await runSleepAgent({ languageModel, contextText, protocol: 'text', onRewrite: (count) => rewrites.push(count) });
      expect(result).toMatchObject({ memory: 'Ana has 3 x 12 = 36 pencils; after giving 5 she has 31.', rewrites: 2, stopReason: 'finished', protocol: 'text' });
      expect(rewrites).toEqual([1, 2]);
      expect(result.calls).toHaveLength(3);
      const first = languageModel.doGenerateCalls[0];
      expect(first?.tools).toBeUndefined();
      expect(systemMessage(first?.prompt ?? [])).toContain('<memory>');
      expect(userMessageText(first?.prompt ?? [])).toContain(contextText);
      // The model sees its own reply and what became of it.
      expect(promptText(languageModel.doGenerateCalls[1]?.prompt.slice(-1) ?? [])).toMatch(/Memory rewritten \(\d+ characters\)\. 9 rewrite\(s\) left\./);
    });

    it('does not apply a reply cut off by the output limit, and stops when the model has nothing more to say', async () => {
      const cut = { ...textReply('<memory>Ana has 3 x 12 = 36 pencils and', { input: 10, output: 64 }), finishReason: { unified: 'length' as const, raw: 'length' } };
      const languageModel = scriptedLanguageModel([cut, textReply('', { input: 20, output: 0 })]);
      const result = await runSleepAgent({ languageModel, contextText, protocol: 'text' });
      expect(result).toMatchObject({ memory: '', rewrites: 0, stopReason: 'model-stopped' });
      expect(promptText(languageModel.doGenerateCalls[1]?.prompt.slice(-1) ?? [])).toContain('cut off by the output limit');
    });

    it('is chosen automatically when the server rejects a request with tools, and kept for that model', async () => {
      const rejection = new APICallError({
        message: 'tools param requires --jinja flag',
        url: 'http://127.0.0.1/v1/chat/completions',
        requestBodyValues: {},
        statusCode: 400,
        responseBody: '{"error":{"message":"tools param requires --jinja flag"}}',
        isRetryable: false,
      });
      const memory = 'Ana has 3 x 12 = 36 pencils; after giving 5 she has 31.';
      const languageModel = scriptedLanguageModel([
        rejection,
        textReply(`<memory>${memory}</memory>`, { input: 10, output: 5 }),
        textReply(`<memory>${memory}</memory>`, { input: 10, output: 5 }),
        // The next sleep on the same model goes straight to text.
        textReply(`<memory>${memory}</memory> FINISHED`, { input: 10, output: 5 }),
      ]);
      const first = await runSleepAgent({ languageModel, contextText });
      expect(first).toMatchObject({ memory, rewrites: 1, stopReason: 'unchanged', protocol: 'text' });
      const second = await runSleepAgent({ languageModel, contextText });
      expect(second).toMatchObject({ memory, stopReason: 'finished', protocol: 'text' });
      expect(languageModel.doGenerateCalls.map((call) => call.tools === undefined)).toEqual([false, true, true, true]);
    });

    it('does not fall back on other rejections, or when a protocol was chosen', async () => {
      const rejected = (message: string) =>
        new APICallError({ message, url: 'http://127.0.0.1/v1', requestBodyValues: {}, statusCode: 400, responseBody: message, isRetryable: false });
      await expect(runSleepAgent({ languageModel: scriptedLanguageModel([rejected('context length exceeded')]), contextText })).rejects.toThrow('context length exceeded');
      await expect(
        runSleepAgent({ languageModel: scriptedLanguageModel([rejected('tools are not supported')]), contextText, protocol: 'tools' }),
      ).rejects.toThrow('tools are not supported');
    });
  });

  describe('exploration tools beside the memory (extraTools: the repository agent)', () => {
    let repository: TestGitRepository;
    let worktree: RepositoryWorktree;
    const repositoryContext = 'Repository demo. Files: README.md, src/parser.ts. Recent pull request: "Add a CSV parser" touched src/parser.ts.';
    const notes = 'Parsers live in src/parser.ts (parseCsv splits on commas); a new format goes beside it, exported from the same file.';

    beforeAll(async () => {
      repository = await createTestGitRepository();
      const commit = await repository.commit('Add a CSV parser', {
        'README.md': '# demo\n',
        'src/parser.ts': 'export function parseCsv(text: string): string[] {\n  return text.split(",");\n}\n',
      });
      worktree = await createWorktree({ repository: repository.dir, commit });
    });
    afterAll(async () => {
      await worktree.remove();
      await repository.remove();
    });

    const lastToolResult = (prompt: readonly { role: string; content: unknown }[]) => {
      const last = prompt.at(-1);
      if (last?.role !== 'tool' || !Array.isArray(last.content)) throw new Error('the prompt does not end with a tool message');
      const part = last.content[0] as { type: string; toolName: string; output: { type: string; value: unknown } };
      return part;
    };

    it('explores with a read_file call whose result reaches the model, then rewrites and finishes; every call is a step', async () => {
      const languageModel = scriptedLanguageModel([
        toolCallsReply([{ toolName: 'read_file', input: { path: 'src/parser.ts' } }], { input: 100, output: 10 }),
        rethink(notes, { input: 200, output: 40 }),
        finish({ input: 250, output: 2 }),
      ]);
      const result = await runSleepAgent({ languageModel, contextText: repositoryContext, promptStyle: 'repository', extraTools: readOnlyRepositoryTools(worktree) });

      expect(result).toMatchObject({ memory: notes, rewrites: 1, stopReason: 'finished', protocol: 'tools', explorationCalls: 1 });
      expect(result.calls.map((call) => call.usage.inputTokens)).toEqual([100, 200, 250]);
      const [first, second] = languageModel.doGenerateCalls;
      // The model explores first: finishing is not offered until the memory holds something.
      expect(first?.tools?.map((offered) => offered.name).sort()).toEqual(['list_files', 'read_file', 'rethink_memory', 'search']);
      expect(first?.toolChoice).toEqual({ type: 'required' });
      expect(second?.tools?.map((offered) => offered.name).sort()).toEqual(['list_files', 'read_file', 'rethink_memory', 'search']);
      expect(languageModel.doGenerateCalls[2]?.tools?.map((offered) => offered.name).sort()).toEqual(['finish_rethinking', 'list_files', 'read_file', 'rethink_memory', 'search']);
      const readResult = lastToolResult(second?.prompt ?? []);
      expect(readResult.toolName).toBe('read_file');
      expect(readResult.output.value).toContain('return text.split(",");');

      const system = systemMessage(first?.prompt ?? []);
      expect(system).toMatch(/You are given\s+the repository now: its file tree, its README and its recent pull requests/);
      expect(system).toContain('list_files, read_file, search: explore (read-only)');
      const trigger = userMessageText(first?.prompt ?? []);
      expect(trigger).toContain(repositoryContext);
      expect(trigger).toContain(`You have at most ${10 + 5 + defaultMaxExplorationSteps} steps in all`);
    });

    it('counts exploration calls toward maxSteps, never as rewrites, and keeps the last two steps for a rewrite', async () => {
      const explore = () => toolCallsReply([{ toolName: 'list_files', input: {} }], { input: 1, output: 1 });
      const languageModel = scriptedLanguageModel([explore(), explore(), explore(), rethink(notes, { input: 1, output: 1 }), finish({ input: 1, output: 1 })]);
      const result = await runSleepAgent({ languageModel, contextText: repositoryContext, promptStyle: 'repository', extraTools: readOnlyRepositoryTools(worktree), maxRewrites: 1, maxSteps: 5 });
      expect(result).toMatchObject({ memory: notes, rewrites: 1, stopReason: 'max-rewrites', explorationCalls: 3 });
      expect(languageModel.doGenerateCalls.map((call) => call.toolChoice)).toEqual([
        { type: 'required' },
        { type: 'required' },
        { type: 'required' },
        { type: 'tool', toolName: 'rethink_memory' },
      ]);
      expect(lastToolResult(languageModel.doGenerateCalls[1]?.prompt ?? []).output.value).toContain('src/');
    });

    it('stops at the step cap when the model only explores, with nothing published', async () => {
      const explore = () => toolCallsReply([{ toolName: 'search', input: { pattern: 'parse' } }], { input: 1, output: 1 });
      const languageModel = scriptedLanguageModel(Array.from({ length: 10 }, explore));
      const result = await runSleepAgent({ languageModel, contextText: repositoryContext, promptStyle: 'repository', extraTools: readOnlyRepositoryTools(worktree), maxSteps: 6 });
      // The last two calls were forced to rewrite; a model that ignores that still cannot go past the cap.
      expect(result).toMatchObject({ memory: '', rewrites: 0, stopReason: 'model-stopped' });
      expect(languageModel.doGenerateCalls.length).toBeLessThanOrEqual(6);
    });

    it('gives the run more steps by default when tools are offered, and takes maxExplorationSteps', async () => {
      const malformed = () => toolCallsReply([{ toolName: 'rethink_memory', input: {} }], { input: 1, output: 1 });
      const languageModel = scriptedLanguageModel(Array.from({ length: 50 }, malformed));
      const result = await runSleepAgent({ languageModel, contextText, maxRewrites: 2, extraTools: readOnlyRepositoryTools(worktree), maxExplorationSteps: 4 });
      expect(result.stopReason).toBe('step-limit');
      expect(languageModel.doGenerateCalls).toHaveLength(2 + 5 + 4);
      expect(userMessageText(languageModel.doGenerateCalls[0]?.prompt ?? [])).toContain('You have at most 11 steps in all');
    });

    it('refuses tools under the text protocol and for a model whose server rejects tools, rather than running without them', async () => {
      const extraTools = readOnlyRepositoryTools(worktree);
      const textRun = await sleeptimeErrorOf(runSleepAgent({ languageModel: scriptedLanguageModel([]), contextText, protocol: 'text', extraTools }));
      expect(textRun).toMatchObject({ code: 'tools_required', category: 'user' });
      expect(textRun.message).toMatch(/exploration tools need the tools protocol, but protocol text was asked for/);

      const rejection = new APICallError({ message: 'tools param requires --jinja flag', url: 'http://127.0.0.1/v1', requestBodyValues: {}, statusCode: 400, isRetryable: false });
      const languageModel = scriptedLanguageModel([rejection]);
      await expect(runSleepAgent({ languageModel, contextText, extraTools })).rejects.toMatchObject({ code: 'tools_required' });
      // That model is known to have no tools from then on: refused before any call.
      await expect(runSleepAgent({ languageModel, contextText, extraTools })).rejects.toMatchObject({ code: 'tools_required' });
      expect(languageModel.doGenerateCalls).toHaveLength(1);
    });

    it('refuses tools that take the memory tools\' names or have nothing to run', async () => {
      const noop = tool({ description: 'x', inputSchema: z.object({}), execute: async () => 'ok' });
      await expect(runSleepAgent({ languageModel: scriptedLanguageModel([]), contextText, extraTools: { rethink_memory: noop } })).rejects.toMatchObject({ code: 'invalid_option' });
      const noExecute = tool({ description: 'x', inputSchema: z.object({}) });
      await expect(runSleepAgent({ languageModel: scriptedLanguageModel([]), contextText, extraTools: { look: noExecute } })).rejects.toThrow(/look has no execute/);
    });

    it('keeps the repository instructions under the text protocol, without tools', async () => {
      const languageModel = scriptedLanguageModel([textReply(`<memory>${notes}</memory> FINISHED`, { input: 1, output: 1 })]);
      const result = await runSleepAgent({ languageModel, contextText: repositoryContext, promptStyle: 'repository', protocol: 'text' });
      expect(result).toMatchObject({ memory: notes, stopReason: 'finished', explorationCalls: 0 });
      expect(systemMessage(languageModel.doGenerateCalls[0]?.prompt ?? [])).toMatch(/its file tree, its README and its recent pull requests/);
    });
  });
});
