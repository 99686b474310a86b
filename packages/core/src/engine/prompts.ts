/**
 * The engine's prompts. Two rules shape them:
 * - sleep time: the agent sees the context now, the questions later, and leaves everything useful in
 *   a memory block it rewrites in full;
 * - test time: the system message holds only what is fixed for a context (instructions, learned
 *   context, raw context), the user message holds what changes per question (verbosity, question).
 *   The system message is therefore byte-identical across questions and budgets, so a provider or a
 *   local model can cache the prefix.
 */

export const rethinkMemoryToolName = 'rethink_memory';
export const finishRethinkingToolName = 'finish_rethinking';

const sleepWorkInstructions = [
  'You are a careful analyst working ahead of time. You are given a context now; questions about it',
  'will arrive later, when you will no longer have time to think at length. Whatever you work out now',
  'must be written into your memory block, because the memory block is all that carries over.',
  '',
  'How to work:',
  '1. Read the context closely. Note every entity, quantity, unit, rate and relationship.',
  '2. Draw the inferences the context supports, and compute intermediate quantities that questions',
  '   are likely to need (totals, differences, ratios, rates, quantities after each described change).',
  '3. Anticipate the questions most likely to be asked, and write each with its worked answer.',
  '4. Double-check every calculation (redo it another way when possible) and fix mistakes.',
  '5. Keep the memory organised and self-contained: restate the facts it depends on, show short',
  '   derivations, and drop whatever turned out to be wrong or useless.',
];

/**
 * For a context that is the first part of a problem whose rest (with the question) comes later, as
 * in Stateful AIME. After the paper's released code (letta-ai/sleep-time-compute,
 * prompts/system/sleep_time_base_aime.txt, the sleep-time system prompt of run_stateful_aime.py):
 * the model gets part of an AIME problem now and the rest later, makes as many inferences as it can
 * about that part, predicts the ways the rest might go and computes what would reach the final
 * answer faster. The words are ours; the released prompt's Letta-specific memory-block description
 * is left out, as in the default prompt.
 */
const aimeSleepWorkInstructions = [
  'You are a careful mathematician working ahead of time. You are given part of a competition math',
  'problem (AIME) now; the rest of the problem, with its question, will be given to you later, when you',
  'will have little time. Whatever you work out now must be written into your memory block, because the',
  'memory block is all that carries over, and all of it will be at hand once the rest arrives.',
  '',
  'How to work:',
  '1. Read the part you are given closely: every object, condition, quantity and relationship it sets up.',
  '2. Make as many inferences about it as you can: derive its consequences, simplify what can be',
  '   simplified, and compute the quantities it determines.',
  '3. Predict the ways the rest of the problem might go (what it may add, what it may ask) and compute',
  '   the results that would get you to the final answer faster in each case.',
  '4. Double-check every derivation and calculation (redo it another way when possible) and fix mistakes.',
  '5. Keep the memory organised and self-contained: restate the setup, show the key steps, and drop',
  '   whatever turned out to be wrong or useless.',
];

/**
 * For a context that is a software repository (its tree, README and recent pull requests, as
 * `sleeptime context put --repo` renders it and SWE-Features items carry it), with read-only tools
 * to explore its files when the caller offers them: the paper's SWE-Features case study, where the
 * sleep-time agent explores the repository and writes notes a coding agent later works from.
 */
const repositorySleepWorkInstructions = [
  'You are a senior software engineer preparing for work on a repository ahead of time. You are given',
  'the repository now: its file tree, its README and its recent pull requests, and (when offered) tools to',
  'explore its files. Requests about it (new features to build, questions about the code) will arrive',
  'later, when there will be little time to explore. Whatever you learn now must be written into your',
  'memory block, because the memory block is all that carries over.',
  '',
  'How to work:',
  '1. Read the tree, the README and the recent pull requests: what the project does, how it is laid out,',
  '   and what kind of work has been arriving.',
  '2. Explore: open the files the recent work touched and those the coming work will likely touch;',
  '   search for the functions, types, registries and tests that tie them together.',
  '3. Write notes about the repository and the coming work: where features of each kind go (the folders,',
  '   files and functions involved, what must be registered or exported, where their tests live), the',
  '   conventions to follow (naming, errors, tests, documentation), and the likely next changes with the',
  '   files each would touch.',
  '4. Check the notes against the code (the paths exist, the names are spelled right) and fix mistakes.',
  '5. Keep the memory organised and self-contained: exact paths and names, short explanations, no code',
  '   copied beyond a line or two; drop whatever turned out to be wrong or useless.',
];

/**
 * Which sleep-time instructions the agent gets: `default` (a context about which questions will be
 * asked), `aime` (the first part of a math problem whose rest comes later; see above) or
 * `repository` (a software repository and the work coming to it; see above).
 */
export type SleepPromptStyle = 'default' | 'aime' | 'repository';

const sleepWorkInstructionsByStyle: Readonly<Record<SleepPromptStyle, readonly string[]>> = {
  default: sleepWorkInstructions,
  aime: aimeSleepWorkInstructions,
  repository: repositorySleepWorkInstructions,
};

function toolsSystemPrompt(workInstructions: readonly string[], explorationToolNames: readonly string[] = []): string {
  const exploration =
    explorationToolNames.length === 0
      ? []
      : [
          `- ${explorationToolNames.join(', ')}: explore (read-only). Their results come back to you; they never change`,
          '  the memory block. Every call, of any tool, uses one of your steps.',
        ];
  return [
    ...workInstructions,
    '',
    'Tools:',
    ...exploration,
    `- ${rethinkMemoryToolName}(new_memory): replaces the whole memory block with new_memory. Each call is a`,
    '  full rewrite, not an append: include everything worth keeping from the previous version.',
    `- ${finishRethinkingToolName}(): call it once the memory is complete and checked.`,
    '',
    'Respond only with tool calls.',
  ].join('\n');
}

export const sleepSystemPrompt = toolsSystemPrompt(sleepWorkInstructions);

/** The word that ends a sleep run under the text protocol. */
export const sleepTextFinishWord = 'FINISHED';

/**
 * The same agent for models and servers without tool calling: each reply is a complete new memory
 * between <memory> tags, or the finish word.
 */
function textSystemPrompt(workInstructions: readonly string[]): string {
  return [
    ...workInstructions,
    '',
    'How to answer:',
    '- To rewrite the memory block, reply with the complete new memory between <memory> and </memory>.',
    '  Each reply is a full rewrite, not an append: include everything worth keeping.',
    `- Once the memory is complete and checked, reply with the single word ${sleepTextFinishWord}.`,
  ].join('\n');
}

export const sleepTextSystemPrompt = textSystemPrompt(sleepWorkInstructions);

export type SleepProtocol = 'tools' | 'text';

/**
 * The sleep-time system prompt for a prompt style (default `default`) and a protocol; under the
 * tools protocol, `explorationToolNames` are the caller's extra (read-only) tools, listed beside
 * rethink_memory and finish_rethinking. The text protocol has no tools.
 */
export function sleepSystemPromptFor(style: SleepPromptStyle | undefined, protocol: SleepProtocol, explorationToolNames: readonly string[] = []): string {
  const work = sleepWorkInstructionsByStyle[style ?? 'default'];
  return protocol === 'tools' ? toolsSystemPrompt(work, explorationToolNames) : textSystemPrompt(work);
}

export interface SleepTriggerInput {
  contextText: string;
  examples?: readonly string[];
  maxRewrites: number;
  /** Default `tools`. */
  protocol?: SleepProtocol;
  /** The memory block's size limit in characters, stated to the model when there is one. */
  maxMemoryCharacters?: number | undefined;
  /** Extra read-only tools offered beside the memory tools (tools protocol only), with the step budget they share. */
  exploration?: { toolNames: readonly string[]; maxSteps: number } | undefined;
}

/** The first user message of a sleep run: the new situation, optional example questions, the rules. */
export function buildSleepTrigger(input: SleepTriggerInput): string {
  const parts = ['A new context has arrived. Think it through before any question is asked.', '', '<context>', input.contextText, '</context>'];
  const examples = (input.examples ?? []).map((example) => example.trim()).filter((example) => example !== '');
  if (examples.length > 0) {
    parts.push(
      '',
      'Questions like these may be asked later (examples of the kind to prepare for, not the actual questions):',
      '<examples>',
      ...examples.map((example) => `- ${example}`),
      '</examples>',
    );
  }
  // As the paper's runs showed the agent its block's limit beside its content (Letta's chars_limit).
  const empty =
    input.maxMemoryCharacters === undefined
      ? 'Your memory block is empty.'
      : `Your memory block is empty and holds at most ${input.maxMemoryCharacters} characters.`;
  if (input.protocol === 'text') {
    parts.push(
      '',
      `${empty} You may rewrite it at most ${input.maxRewrites} time(s): reply now with the complete memory`,
      'between <memory> and </memory>.',
    );
  } else {
    parts.push(
      '',
      `${empty} You may rewrite it at most ${input.maxRewrites} time(s) with ${rethinkMemoryToolName},`,
      `then call ${finishRethinkingToolName}.`,
    );
    if (input.exploration !== undefined && input.exploration.toolNames.length > 0) {
      parts.push(
        `Explore with ${input.exploration.toolNames.join(', ')} first. You have at most ${input.exploration.maxSteps} steps in all`,
        '(every call of any tool is one): leave steps to write the memory and to finish.',
      );
    }
  }
  return parts.join('\n');
}

export type Verbosity = 0 | 1 | 2 | 3 | 4;

export const answerSystemInstructions = [
  'You answer questions about a context. The question arrives now; the context was given earlier.',
  'A <learned_context> block, when present, holds notes prepared in advance about the context:',
  'inferences, computed quantities and anticipated questions with answers. Use them to save work.',
  'A <context> block, when present, holds the original context, which is the authority when the two',
  'disagree.',
  'Follow the answering style requested with the question. When the answer is a number, end with the',
  'sentence "The answer is N." where N is the number alone.',
].join('\n');

/** The five test-time verbosity levels, from "state the answer" to "reason thoroughly". */
export const verbosityInstructions: Readonly<Record<Verbosity, string>> = Object.freeze({
  0: 'Answer with exactly one sentence of the form "The answer is N." Reuse what the learned context already holds; do not recompute anything.',
  1: 'Give one short sentence of explanation, then the answer.',
  2: 'Give two short sentences of explanation, then the answer.',
  3: 'Reason as much as the question needs, but no more, and end with the answer.',
  4: 'Reason step by step out loud. Re-check every number you take from the learned context before using it, explain thoroughly, and end with the answer.',
});

export interface AskPromptInput {
  question: string;
  verbosity: Verbosity;
  /** The learned context text, or undefined to answer without one. */
  learnedContext?: string | undefined;
  /** The raw context text, or undefined to leave it out. */
  contextText?: string | undefined;
}

export interface AskPrompt {
  /** Identical for every question and verbosity on the same context and learned-context version. */
  system: string;
  user: string;
}

export function buildAskSystemPrompt(input: Pick<AskPromptInput, 'learnedContext' | 'contextText'>): string {
  const parts = [answerSystemInstructions];
  if (input.learnedContext !== undefined) parts.push(`<learned_context>\n${input.learnedContext}\n</learned_context>`);
  if (input.contextText !== undefined) parts.push(`<context>\n${input.contextText}\n</context>`);
  return parts.join('\n\n');
}

export function buildAskPrompt(input: AskPromptInput): AskPrompt {
  return {
    system: buildAskSystemPrompt(input),
    user: `${verbosityInstructions[input.verbosity]}\n\nQuestion: ${input.question}`,
  };
}

/** Says what the notes injected before a chat's messages are, so the model weighs them as background, not instructions. */
export function learnedContextSystemMessage(learned: string): string {
  return [
    'Notes prepared in advance about the context of this conversation (inferences, computed quantities,',
    'anticipated questions with answers). Use them to save work; the conversation itself is the authority.',
    '<learned_context>',
    learned,
    '</learned_context>',
  ].join('\n');
}

/** How the memories of k parallel sleep branches are joined, in branch order. */
export function concatenateLearnedContexts(memories: readonly string[]): string {
  if (memories.length === 1) return memories[0] ?? '';
  return memories
    .map((memory, index) => `=== Learned context ${index + 1} of ${memories.length} ===\n${memory}`)
    .join('\n\n');
}
