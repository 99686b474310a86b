/**
 * The SWE-Features coding agent on a worktree of a repository the test builds, driven by scripted
 * models whose calls read, write, edit and delete files: the step budget (`[Step: i/N]` at the head
 * of every turn, never more than N calls), the ways it stops, the edited files from git's diff, and
 * no tool reaching outside the worktree.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LanguageModelV3Prompt } from '@ai-sdk/provider';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorktree, type RepositoryWorktree } from '@sleeptime/core/repository';
import { scriptedLanguageModel, textReply, toolCallsReply, type MockToolCall, type ScriptStep } from '@sleeptime/core/testing';
import { runCodingAgent } from './coding-agent.js';
import { cutReplyNote } from './coding-agent-prompts.js';
import { buildFeatureRepository, csvTask, type FeatureRepository } from './swe-features-bench-test-support.js';

let fixture: FeatureRepository;
let worktree: RepositoryWorktree;

beforeAll(async () => {
  fixture = await buildFeatureRepository();
});
afterAll(async () => {
  await fixture.repository.remove();
});
beforeEach(async () => {
  worktree = await createWorktree({ repository: fixture.repository.dir, commit: fixture.items[0].baseCommit });
});
afterEach(async () => {
  await worktree.remove();
});

const tokens = { input: 100, output: 10 };
const calls = (...toolCalls: MockToolCall[]) => toolCallsReply(toolCalls, tokens);

/** A scripted model that also keeps every prompt it was sent. */
function recordingModel(script: ScriptStep[]) {
  const prompts: LanguageModelV3Prompt[] = [];
  const model = scriptedLanguageModel(
    script.map((step) => async (options) => {
      prompts.push(options.prompt);
      if (step instanceof Error) throw step;
      return typeof step === 'function' ? step(options) : step;
    }),
  );
  return { model, prompts };
}

const userTurns = (prompt: LanguageModelV3Prompt) =>
  prompt.filter((message) => message.role === 'user').map((message) => (message.role === 'user' ? message.content.map((part) => (part.type === 'text' ? part.text : '')).join('') : ''));
const toolResults = (prompt: LanguageModelV3Prompt) =>
  prompt.flatMap((message) => (message.role === 'tool' ? message.content.flatMap((part) => (part.type === 'tool-result' && part.output.type === 'text' ? [part.output.value] : [])) : []));

describe('the step budget', () => {
  it('opens every turn with [Step: i/N] and makes no call after step N', async () => {
    const read = calls({ toolName: 'read_file', input: { path: 'README.md' } });
    // Three calls scripted: a fourth would fail the test ("Script exhausted").
    const { model, prompts } = recordingModel([read, read, read]);
    const result = await runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 3 });
    expect(result).toMatchObject({ stepsUsed: 3, stopReason: 'step-limit' });
    expect(prompts).toHaveLength(3);
    expect(userTurns(prompts[0] as LanguageModelV3Prompt)).toEqual([expect.stringMatching(/^\[Step: 1\/3\]\nImplement this feature in the repository:\n\n<task>\nAdd CSV export/)]);
    expect(userTurns(prompts[1] as LanguageModelV3Prompt).slice(1)).toEqual(['[Step: 2/3]']);
    expect(userTurns(prompts[2] as LanguageModelV3Prompt).slice(1)).toEqual(['[Step: 2/3]', '[Step: 3/3] This is your last turn: make your final edits now.']);
    // Each step's tool results come back before the next marker.
    expect(toolResults(prompts[2] as LanguageModelV3Prompt)).toEqual([expect.stringMatching(/^README\.md: lines 1-3 of 3/), expect.stringMatching(/^README\.md: lines 1-3 of 3/)]);
    expect(result.usage).toEqual({ inputTokens: 300, outputTokens: 30, reasoningTokens: 0 });
    expect(result.toolCalls.map((call) => call.toolName)).toEqual(['read_file', 'read_file', 'read_file']);
  });

  it('takes a budget of one step: the task and the last-turn reminder in one message', async () => {
    const { model, prompts } = recordingModel([calls({ toolName: 'list_files', input: {} })]);
    const result = await runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 1 });
    expect(result).toMatchObject({ stepsUsed: 1, stopReason: 'step-limit' });
    expect(userTurns(prompts[0] as LanguageModelV3Prompt)[0]).toMatch(/^\[Step: 1\/1\] This is your last turn/);
  });

  it('refuses a budget outside 1 to 500 before any call', async () => {
    const { model, prompts } = recordingModel([]);
    await expect(runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 0 })).rejects.toThrow(/maxSteps must be an integer from 1 to 500/);
    await expect(runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 501 })).rejects.toThrow(RangeError);
    expect(prompts).toHaveLength(0);
  });
});

describe('how it stops, and what it edited', () => {
  it('stops when the model calls done, after running the other calls of that step', async () => {
    const { model } = recordingModel([
      calls({ toolName: 'write_file', input: { path: 'src/export/csv.ts', content: 'export const toCsv = (rows: number[]) => rows.join(",");\n' } }),
      calls(
        { toolName: 'edit_file', input: { path: 'src/index.ts', old_string: "export { render } from './format.js';", new_string: "export { render } from './format.js';\nexport { toCsv } from './export/csv.js';" } },
        { toolName: 'done', input: { summary: 'CSV export' } },
      ),
    ]);
    const result = await runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 10 });
    expect(result).toMatchObject({ stepsUsed: 2, stopReason: 'done' });
    expect(result.edited.files).toEqual(fixture.items[0].goldFiles);
    expect(result.edited.changes).toEqual([
      { path: 'src/export/csv.ts', status: 'added' },
      { path: 'src/index.ts', status: 'modified' },
    ]);
    expect(await readFile(path.join(worktree.root, 'src/index.ts'), 'utf8')).toContain("export { toCsv } from './export/csv.js';");
  });

  it('takes deletions from the diff too', async () => {
    const { model } = recordingModel([calls({ toolName: 'delete_file', input: { path: 'docs/legacy.md' } }, { toolName: 'done', input: {} })]);
    const result = await runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 4 });
    expect(result.edited.changes).toEqual([{ path: 'docs/legacy.md', status: 'deleted' }]);
  });

  it('stops when the model replies without a tool call', async () => {
    const { model } = recordingModel([calls({ toolName: 'read_file', input: { path: 'src/index.ts' } }), textReply('The feature looks simple.', tokens)]);
    const result = await runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 5 });
    expect(result).toMatchObject({ stepsUsed: 2, stopReason: 'model-stopped', edited: { files: [] } });
    expect(result.usage.outputTokens).toBe(20);
  });

  it('takes a reply cut before it wrote a whole tool call as a cut step, not an end', async () => {
    const cut = { ...textReply('{"name": "write_file", "arguments": {"path": "src/export/csv.ts", "content": "export', tokens), finishReason: { unified: 'length' as const, raw: 'length' } };
    const { model, prompts } = recordingModel([cut, calls({ toolName: 'done', input: {} })]);
    const result = await runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 3 });
    expect(result).toMatchObject({ stepsUsed: 2, stopReason: 'done', truncatedBy: 'max-output-tokens' });
    expect(userTurns(prompts[1] as LanguageModelV3Prompt).at(-1)).toBe(`[Step: 2/3]\n${cutReplyNote}`);
  });

  it('drops the calls of a reply cut at the output limit, tells the model, and counts the step', async () => {
    const { model, prompts } = recordingModel([
      toolCallsReply([{ toolName: 'write_file', input: { path: 'src/export/csv.ts', content: 'export const toCsv' } }], tokens, 'length'),
      calls({ toolName: 'done', input: {} }),
    ]);
    const result = await runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 5 });
    expect(result).toMatchObject({ stepsUsed: 2, stopReason: 'done', truncatedBy: 'max-output-tokens', edited: { files: [] } });
    expect(existsSync(path.join(worktree.root, 'src/export/csv.ts'))).toBe(false);
    const second = prompts[1] as LanguageModelV3Prompt;
    expect(userTurns(second).at(-1)).toBe(`[Step: 2/5]\n${cutReplyNote}`);
    expect(second.some((message) => message.role === 'assistant' && message.content.some((part) => part.type === 'tool-call'))).toBe(false);
  });
});

describe('the prompt', () => {
  it('puts the instructions, the notes and the related pull requests in the system message, and the task in the first turn', async () => {
    const { model, prompts } = recordingModel([calls({ toolName: 'done', input: {} }), calls({ toolName: 'done', input: {} })]);
    await runCodingAgent({ languageModel: model, worktree, task: csvTask, contextText: 'PR #7: Add the XML writer', notes: 'Exports go in src/export/.', maxSteps: 3 });
    await runCodingAgent({ languageModel: model, worktree, task: csvTask, contextText: 'PR #7: Add the XML writer', maxSteps: 3 });
    const [withNotes, without] = prompts.map((prompt) => (prompt[0]?.role === 'system' ? prompt[0].content : '')) as [string, string];
    expect(withNotes).toMatch(/^You are a coding agent[\s\S]*\[Step: i\/N\][\s\S]*<repository_notes>\n[^\n]+\n\nExports go in src\/export\/\.\n<\/repository_notes>\n\n<related_pull_requests>\n[^\n]+\n\nPR #7: Add the XML writer\n<\/related_pull_requests>$/);
    expect(without).not.toContain('<repository_notes>');
    expect(without).toContain('<related_pull_requests>');
    expect(withNotes).not.toContain('Add CSV export');
  });
});

describe('nothing outside the worktree', () => {
  it('answers every escape with an error result, and the repository, its git directory and the folders around stay as they were', async () => {
    const repositoryHead = await fixture.repository.git('rev-parse', 'HEAD');
    const repositoryFiles = await fixture.repository.git('ls-files', '-s');
    const escapes: MockToolCall[] = [
      { toolName: 'read_file', input: { path: '../../../../etc/passwd' } },
      { toolName: 'read_file', input: { path: '/etc/hostname' } },
      { toolName: 'list_files', input: { path: '..' } },
      { toolName: 'list_files', input: { path: '.git' } },
      { toolName: 'search', input: { pattern: 'root', path: '../git' } },
      { toolName: 'write_file', input: { path: '../escaped.txt', content: 'owned' } },
      { toolName: 'write_file', input: { path: `${fixture.repository.dir}/owned.txt`, content: 'owned' } },
      { toolName: 'edit_file', input: { path: '../git/HEAD', old_string: 'ref', new_string: 'owned' } },
      { toolName: 'delete_file', input: { path: '../owner.json' } },
      { toolName: 'delete_file', input: { path: '.git/HEAD' } },
      { toolName: 'write_file', input: { path: 'src/../../tree-sibling.txt', content: 'owned' } },
    ];
    const { model } = recordingModel([calls(...escapes.slice(0, 6)), calls(...escapes.slice(6)), calls({ toolName: 'done', input: {} })]);
    const result = await runCodingAgent({ languageModel: model, worktree, task: csvTask, maxSteps: 5 });
    expect(result.toolCalls).toHaveLength(escapes.length);
    for (const call of result.toolCalls) {
      expect(call.ok, JSON.stringify(call)).toBe(false);
      expect(call.output).toMatch(/^Error: /);
      expect(call.output).not.toMatch(/root:x?:/);
    }
    expect(result.edited.files).toEqual([]);
    expect(await fixture.repository.git('rev-parse', 'HEAD')).toBe(repositoryHead);
    expect(await fixture.repository.git('ls-files', '-s')).toBe(repositoryFiles);
    expect(await fixture.repository.git('status', '--porcelain')).toBe('');
    expect(existsSync(path.join(fixture.repository.dir, 'owned.txt'))).toBe(false);
    expect(existsSync(path.join(worktree.folder, 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(worktree.folder, 'tree-sibling.txt'))).toBe(false);
    expect(existsSync(path.join(worktree.folder, 'owner.json'))).toBe(true);
    expect(await readFile(path.join(worktree.folder, 'git', 'HEAD'), 'utf8')).not.toContain('owned');
    expect(existsSync(path.join(path.dirname(worktree.folder), 'escaped.txt'))).toBe(false);
    expect(await readdir(worktree.folder)).toEqual(['git', 'owner.json', 'tree']);
  });
});
