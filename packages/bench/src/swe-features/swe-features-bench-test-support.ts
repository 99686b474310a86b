/**
 * For the SWE-Features bench tests: a small repository the tests build for themselves, with a few
 * feature commits (one adds files, one also deletes a file), its items made the way the dataset
 * makes them (base commit = the feature's parent, gold files = git's changed files, the earlier
 * feature as context), and a scripted model that plays both agents by reading its prompt: the
 * sleep-time agent explores and writes notes, the coding agent follows a plan of tool calls per
 * task (a shorter one when it has notes), one step at a time, reading `[Step: i/N]` to know where
 * it is.
 */
import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';
import { createTestGitRepository, textReply, toolCallsReply, type MockToolCall, type TestGitRepository } from '@sleeptime/core/testing';
import type { SweFeaturesItem } from '../datasets/swe-features/index.js';

export interface FeatureRepository {
  repository: TestGitRepository;
  /** The two feature commits, oldest first, and the items made of them. */
  commits: { csv: string; json: string };
  items: [SweFeaturesItem, SweFeaturesItem];
}

export const csvTask = 'Add CSV export\n\nUsers can export reports as CSV.';
export const jsonTask = 'Add JSON export\n\nUsers can export reports as JSON; the legacy format notes go.';

export async function buildFeatureRepository(): Promise<FeatureRepository> {
  const repository = await createTestGitRepository({ name: 'reports' });
  await repository.commit('Initial commit', {
    'README.md': '# Reports\n\nMake reports.\n',
    'src/index.ts': "export { render } from './format.js';\n",
    'src/format.ts': 'export function render(rows: number[]): string {\n  return rows.join(" ");\n}\n',
    'src/cli.ts': "import { render } from './index.js';\nconsole.log(render([1, 2]));\n",
    'docs/legacy.md': '# The legacy format\n',
    'test/format.test.ts': "import { render } from '../src/format.js';\n",
  });
  const csv = await repository.commit(csvTask, {
    'src/export/csv.ts': 'export const toCsv = (rows: number[]) => rows.join(",");\n',
    'src/index.ts': "export { render } from './format.js';\nexport { toCsv } from './export/csv.js';\n",
  });
  const json = await repository.commit(jsonTask, {
    'src/export/json.ts': 'export const toJson = (rows: number[]) => JSON.stringify(rows);\n',
    'src/index.ts': "export { render } from './format.js';\nexport { toCsv } from './export/csv.js';\nexport { toJson } from './export/json.js';\n",
    'src/cli.ts': "import { render, toJson } from './index.js';\nconsole.log(process.argv.includes('--json') ? toJson([1]) : render([1, 2]));\n",
    'docs/legacy.md': null,
  });
  const item = async (commit: string, id: string, task: string, context: string): Promise<SweFeaturesItem> => {
    const baseCommit = await repository.git('rev-parse', `${commit}^1`);
    const goldFiles = (await repository.git('diff', '--name-only', '--find-renames', baseCommit, commit)).split('\n').filter((line) => line !== '').sort();
    return {
      id,
      source: 'repository',
      repository: repository.dir,
      repositoryName: 'reports',
      baseCommit,
      featureCommit: commit,
      kind: 'commit',
      pullRequest: null,
      date: null,
      title: task.split('\n')[0] as string,
      task,
      context,
      contextPullRequests: [],
      goldFiles,
      testFiles: [],
    };
  };
  return {
    repository,
    commits: { csv, json },
    items: [
      await item(csv, 'reports-csv', csvTask, ''),
      await item(json, 'reports-json', jsonTask, `Earlier work: ${csvTask}\nFiles: src/export/csv.ts (+1), src/index.ts (+1)`),
    ],
  };
}

/** One model call as the scripted model saw it. */
export interface SeenCall {
  agent: 'sleep' | 'coding';
  prompt: LanguageModelV3Prompt;
  /** The step marker of the last user turn (`[Step: i/N]`), for coding calls. */
  step: { index: number; of: number } | undefined;
  system: string;
  /** The text of every message, for "the prompt said X" checks. */
  text: string;
}

/** The coding agent's plan for a task: the tool calls of each step, in order (a step past the plan calls nothing useful: it reads README.md). */
export type CodingPlan = MockToolCall[][];

export interface PolicyModelOptions {
  /** By the task's title: the plan without notes, and the plan when the notes are in the system prompt. */
  plans: Record<string, { withoutNotes: CodingPlan; withNotes: CodingPlan }>;
  /** The notes the sleep-time agent writes, by the context's first line (default: one text for all). */
  notes?: (contextText: string) => string;
  /** Output tokens a call reports (default 20). */
  outputTokens?: number;
}

export interface PolicyModel {
  model: MockLanguageModelV3;
  calls: SeenCall[];
}

const stepPattern = /\[Step: (\d+)\/(\d+)\]/g;

function messageText(prompt: LanguageModelV3Prompt): string {
  return prompt
    .map((message) => (typeof message.content === 'string' ? message.content : message.content.map((part) => ('text' in part ? part.text : JSON.stringify(part))).join('\n')))
    .join('\n');
}

/** The scripted model of the file's header. */
export function policyModel(options: PolicyModelOptions): PolicyModel {
  const calls: SeenCall[] = [];
  const outputTokens = options.outputTokens ?? 20;
  const usage = (prompt: LanguageModelV3Prompt) => ({ input: Math.ceil(messageText(prompt).length / 4), output: outputTokens });
  const respond = async (call: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> => {
    const tools = (call.tools ?? []).map((tool) => tool.name);
    const system = call.prompt.find((message) => message.role === 'system')?.content ?? '';
    const text = messageText(call.prompt);
    const userTexts = call.prompt.filter((message) => message.role === 'user').map((message) => messageText([message]));
    if (tools.includes('rethink_memory')) {
      calls.push({ agent: 'sleep', prompt: call.prompt, step: undefined, system, text });
      const assistantTurns = call.prompt.filter((message) => message.role === 'assistant').length;
      const context = /<context>\n([\s\S]*?)\n<\/context>/.exec(text)?.[1] ?? '';
      if (assistantTurns === 0) return toolCallsReply([{ toolName: 'list_files', input: { path: 'src', recursive: true } }], usage(call.prompt));
      if (assistantTurns === 1) {
        const notes = options.notes?.(context) ?? 'Exports live in src/export/, one file a format; each is re-exported from src/index.ts; the CLI is src/cli.ts.';
        return toolCallsReply([{ toolName: 'rethink_memory', input: { new_memory: notes } }], usage(call.prompt));
      }
      return toolCallsReply([{ toolName: 'finish_rethinking', input: {} }], usage(call.prompt));
    }
    const markers = [...(userTexts.at(-1) ?? '').matchAll(stepPattern)];
    const marker = markers.at(-1);
    const step = marker === undefined ? undefined : { index: Number(marker[1]), of: Number(marker[2]) };
    calls.push({ agent: 'coding', prompt: call.prompt, step, system, text });
    const title = /<task>\n([^\n]*)/.exec(text)?.[1] ?? '';
    const plan = options.plans[title];
    if (plan === undefined || step === undefined) return textReply('I do not know this task.', usage(call.prompt));
    const steps = system.includes('<repository_notes>') ? plan.withNotes : plan.withoutNotes;
    return toolCallsReply(steps[step.index - 1] ?? [{ toolName: 'read_file', input: { path: 'README.md' } }], usage(call.prompt));
  };
  return { model: new MockLanguageModelV3({ provider: 'mock', modelId: 'policy', doGenerate: respond }), calls };
}

/** A plan that implements the CSV feature exactly (its two gold files), then says it is done. */
export const csvPlan: { withoutNotes: CodingPlan; withNotes: CodingPlan } = {
  withoutNotes: [
    [{ toolName: 'list_files', input: { recursive: true } }],
    [{ toolName: 'read_file', input: { path: 'src/index.ts' } }],
    [{ toolName: 'write_file', input: { path: 'src/export/csv.ts', content: 'export const toCsv = (rows: number[]) => rows.join(",");\n' } }],
    [{ toolName: 'edit_file', input: { path: 'src/index.ts', old_string: "export { render } from './format.js';", new_string: "export { render } from './format.js';\nexport { toCsv } from './export/csv.js';" } }],
    [{ toolName: 'done', input: { summary: 'Added the CSV writer.' } }],
  ],
  withNotes: [
    [
      { toolName: 'write_file', input: { path: 'src/export/csv.ts', content: 'export const toCsv = (rows: number[]) => rows.join(",");\n' } },
      { toolName: 'edit_file', input: { path: 'src/index.ts', old_string: "export { render } from './format.js';", new_string: "export { render } from './format.js';\nexport { toCsv } from './export/csv.js';" } },
    ],
    [{ toolName: 'done', input: {} }],
  ],
};

/**
 * A plan for the JSON feature that gets half of it: it writes the JSON file, touches the README
 * (not gold) and deletes the legacy notes (gold), and never changes src/index.ts or src/cli.ts. Of
 * the gold set {docs/legacy.md, src/cli.ts, src/export/json.ts, src/index.ts}: precision 2/3, recall
 * 2/4, F1 4/7.
 */
export const jsonPlan: { withoutNotes: CodingPlan; withNotes: CodingPlan } = {
  withoutNotes: [
    [{ toolName: 'search', input: { pattern: 'export' } }],
    [{ toolName: 'write_file', input: { path: 'src/export/json.ts', content: 'export const toJson = (rows: number[]) => JSON.stringify(rows);\n' } }],
    [{ toolName: 'edit_file', input: { path: 'README.md', old_string: 'Make reports.', new_string: 'Make reports, in JSON too.' } }],
    [{ toolName: 'delete_file', input: { path: 'docs/legacy.md' } }],
    [{ toolName: 'done', input: {} }],
  ],
  withNotes: [
    [
      { toolName: 'write_file', input: { path: 'src/export/json.ts', content: 'export const toJson = (rows: number[]) => JSON.stringify(rows);\n' } },
      { toolName: 'edit_file', input: { path: 'README.md', old_string: 'Make reports.', new_string: 'Make reports, in JSON too.' } },
      { toolName: 'delete_file', input: { path: 'docs/legacy.md' } },
    ],
    [{ toolName: 'done', input: {} }],
  ],
};
