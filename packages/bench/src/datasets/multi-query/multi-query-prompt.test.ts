import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDatasetFixtures } from '../dataset-fixtures-test-support.js';
import { generateGsmSymbolic } from '../gsm-symbolic/index.js';
import { multiQueryPrompt, type MultiQueryPromptInput } from './multi-query-prompt.js';

const input: MultiQueryPromptInput = {
  context: 'Maria has 12 apples. She buys 3 bags with 5 oranges in each bag. Half of the apples are red.',
  query: 'How many pieces of fruit does Maria have now?',
  answer: 27,
  bindings: { name: 'Maria', a: 12, b: 3, c: 5, frac: 0.5, ans: 40, third: 1 / 3 },
  labels: { frac: 'half', third: 'a third' },
  questionsPerContext: 7,
};

function section(user: string, heading: string): string {
  const start = user.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const end = user.indexOf('\n\n', start);
  return user.slice(start, end === -1 ? undefined : end);
}

describe('multiQueryPrompt', () => {
  let datasetsDir: string;
  beforeAll(async () => {
    datasetsDir = await writeDatasetFixtures();
  });
  afterAll(async () => {
    await rm(datasetsDir, { recursive: true, force: true });
  });

  it('shows the context, the original question and answer, and how many questions to write', () => {
    const { system, user } = multiQueryPrompt(input);
    expect(system).toMatch(/JSON/);
    expect(user).toContain(input.context);
    expect(user).toContain(`Original question: ${input.query}`);
    expect(user).toContain('Its answer: 27');
    expect(user).toContain('Write 7 new questions');
    expect(user).toContain('"questions"');
    expect(user).toContain('#### <number>');
    expect(user).toMatch(/int, round, float, abs, min, max, sum, len, Fraction, is_int, divides/);
  });

  it('lists the variables shown in the context apart from the hidden ones, with values and words', () => {
    const { user } = multiQueryPrompt(input);
    const shown = section(user, 'Variables whose values appear in the context:');
    const hidden = section(user, 'Variables whose values do not appear in the context');
    for (const line of ['- a = 12', '- b = 3', '- c = 5', '- name = "Maria"', '- frac = 0.5 (written as "half")']) {
      expect(shown).toContain(line);
    }
    // "a third" is not in the context: the label is what a reader would look for.
    expect(hidden).toContain('- third = 0.333333333333 (written as "a third")');
    expect(hidden).toContain('- ans = 40');
    expect(shown).not.toContain('ans =');
    expect(hidden).not.toContain('- a = 12');
    // The example formula uses shown variables, not the hidden "ans".
    expect(user).toContain('for example `(a + b) * 2`');
  });

  it('has no hidden section when every value is shown', () => {
    const { user } = multiQueryPrompt({ ...input, bindings: { a: 12 }, labels: {}, questionsPerContext: 1 });
    expect(user).not.toContain('do not appear');
    expect(user).toContain('Write 1 new question about');
  });

  it('lists every binding of a generated GSM-Symbolic instance', () => {
    const [instance] = generateGsmSymbolic({ variant: 'p1', perTemplate: 1, seed: 3, templates: ['0000'], datasetsDir });
    if (instance === undefined) throw new Error('no instance');
    const { user } = multiQueryPrompt({ ...instance, questionsPerContext: 10 });
    expect(Object.keys(instance.bindings).length).toBeGreaterThan(2);
    for (const name of Object.keys(instance.bindings)) expect(user).toMatch(new RegExp(`^- ${name} = `, 'm'));
    expect(user).toContain(instance.context);
  });
});
