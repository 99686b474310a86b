/**
 * The test-time coding agent's prompts for SWE-Features (the paper's agentic case study, SPEC
 * section 3): a system message with the instructions, the sleep-time notes when there are any, and
 * the related earlier pull requests (the item's context: both conditions see it, as test-time only
 * and sleep-time both see the raw context on the other datasets); a first user message with the task;
 * and a step marker, `[Step: i/N]`, at the head of every user turn, so the agent always knows how
 * much of its budget is left.
 *
 * The system message holds nothing that depends on the step budget, so its prefix is the same at
 * every budget (a provider's prompt cache serves it across the grid).
 */
import { contentHash } from '../runner/canonical-json.js';

export const doneToolName = 'done';

export const codingAgentInstructions = [
  'You are a coding agent working in a git repository, checked out at the commit a new feature will be built on.',
  'Implement the feature you are given by changing the files of the repository with your tools:',
  '- list_files, read_file and search to find your way;',
  '- edit_file to change a file (an exact, unique piece of its text replaced), write_file to create a file or replace one whole, delete_file to remove one;',
  `- ${doneToolName} when the feature is implemented.`,
  'Every turn of yours is numbered [Step: i/N]: it is turn i of at most N. The session ends after turn N whether or not you called ' +
    `${doneToolName}, and the files as they are then are your work. So read only what you need, make your edits early, and call ${doneToolName} once the change is complete.`,
  'Paths are relative to the repository root. Nothing is run: there are no tests to run and no other commands.',
].join('\n');

export const repositoryNotesPreamble =
  'Notes written about this repository and the work expected in it, by an agent that explored it before this task arrived. Use them to go straight to the files that matter.';

export const relatedPullRequestsPreamble = 'Earlier pull requests of this repository related to the work:';

export interface CodingAgentPromptInput {
  task: string;
  /** The related earlier pull requests (the item's context); left out when empty. */
  contextText?: string;
  /** The sleep-time notes (the learned context); absent for test-time only. */
  notes?: string;
}

export function codingAgentSystemPrompt(input: Pick<CodingAgentPromptInput, 'contextText' | 'notes'>): string {
  const parts = [codingAgentInstructions];
  if (input.notes !== undefined) parts.push(`<repository_notes>\n${repositoryNotesPreamble}\n\n${input.notes}\n</repository_notes>`);
  if (input.contextText !== undefined && input.contextText.trim() !== '') {
    parts.push(`<related_pull_requests>\n${relatedPullRequestsPreamble}\n\n${input.contextText}\n</related_pull_requests>`);
  }
  return parts.join('\n\n');
}

/** `[Step: i/N]`, with a reminder on the last step. */
export function stepMarker(step: number, maxSteps: number): string {
  const marker = `[Step: ${step}/${maxSteps}]`;
  return step === maxSteps ? `${marker} This is your last turn: make your final edits now.` : marker;
}

/** The first user turn: the marker of step 1, then the task. */
export function codingAgentTaskMessage(task: string, maxSteps: number): string {
  return `${stepMarker(1, maxSteps)}\nImplement this feature in the repository:\n\n<task>\n${task}\n</task>`;
}

/** Said (after the marker) when the previous reply was cut at the output limit before its tool calls could run. */
export const cutReplyNote = 'Your last reply was cut off at the output limit before its tool calls could run. Make smaller calls (a shorter edit, or one file at a time).';

/**
 * Changes whenever a prompt of the coding agent changes: part of every SWE-Features row key, so rows
 * made with old prompts are not taken for rows of the current ones when a run resumes.
 */
export const codingAgentPromptsDigest: string = contentHash({
  system: codingAgentSystemPrompt({ contextText: '{context}', notes: '{notes}' }),
  task: codingAgentTaskMessage('{task}', 9),
  markers: [stepMarker(2, 9), stepMarker(9, 9)],
  cutReplyNote,
}).slice(0, 16);
