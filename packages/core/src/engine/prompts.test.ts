import { describe, expect, it } from 'vitest';
import { buildAskPrompt, buildSleepTrigger, concatenateLearnedContexts, verbosityInstructions, type Verbosity } from './prompts.js';

describe('buildAskPrompt', () => {
  const base = { learnedContext: 'Ana has 31 pencils.', contextText: 'Ana has 3 boxes of 12 pencils and gives 5 away.' };

  it('keeps the system message identical across questions and verbosities', () => {
    const prompts = ([0, 1, 2, 3, 4] as Verbosity[]).flatMap((verbosity) =>
      ['How many pencils?', 'How many boxes?'].map((question) => buildAskPrompt({ ...base, question, verbosity })),
    );
    const systems = new Set(prompts.map((prompt) => prompt.system));
    const users = new Set(prompts.map((prompt) => prompt.user));
    expect(systems.size).toBe(1);
    expect(users.size).toBe(10);
  });

  it('puts instructions, then the learned context, then the raw context in the system message', () => {
    const { system, user } = buildAskPrompt({ ...base, question: 'How many pencils?', verbosity: 2 });
    const learnedAt = system.indexOf('<learned_context>\nAna has 31 pencils.\n</learned_context>');
    const contextAt = system.indexOf(`<context>\n${base.contextText}\n</context>`);
    expect(learnedAt).toBeGreaterThan(0);
    expect(contextAt).toBeGreaterThan(learnedAt);
    expect(system).not.toContain('How many pencils?');
    expect(user).toBe(`${verbosityInstructions[2]}\n\nQuestion: How many pencils?`);
  });

  it('leaves out the blocks that are not given', () => {
    expect(buildAskPrompt({ question: 'q', verbosity: 3, contextText: 'c' }).system).not.toContain('</learned_context>');
    expect(buildAskPrompt({ question: 'q', verbosity: 3, learnedContext: 'l' }).system).not.toContain('</context>');
  });

  it('has five distinct verbosity instructions, level 0 asking for the bare answer', () => {
    expect(new Set(Object.values(verbosityInstructions)).size).toBe(5);
    expect(verbosityInstructions[0]).toContain('The answer is N');
    expect(verbosityInstructions[4]).toMatch(/step by step/);
  });
});

describe('buildSleepTrigger', () => {
  it('carries the context and the rewrite limit, and examples only when given', () => {
    const trigger = buildSleepTrigger({ contextText: 'CONTEXT TEXT', maxRewrites: 4 });
    expect(trigger).toContain('<context>\nCONTEXT TEXT\n</context>');
    expect(trigger).toContain('at most 4 time(s)');
    expect(trigger).not.toContain('<examples>');
    expect(buildSleepTrigger({ contextText: 'c', maxRewrites: 1, examples: ['Q1?', 'Q2?'] })).toContain(
      '<examples>\n- Q1?\n- Q2?\n</examples>',
    );
  });
});

describe('concatenateLearnedContexts', () => {
  it('returns a single memory as is and labels several in order', () => {
    expect(concatenateLearnedContexts(['only'])).toBe('only');
    expect(concatenateLearnedContexts(['a', 'b'])).toBe('=== Learned context 1 of 2 ===\na\n\n=== Learned context 2 of 2 ===\nb');
  });
});
