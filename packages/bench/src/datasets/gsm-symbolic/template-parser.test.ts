import { describe, expect, it } from 'vitest';
import { parseGsmSymbolicTemplate } from './template-parser.js';
import { sleeptimeErrorThrownBy } from '@sleeptime/core/testing';

function templateFile(annotated: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { question_annotated: annotated, ...extra };
}

describe('parseGsmSymbolicTemplate', () => {
  it('reads placeholders, #init items, conditions and the answer', () => {
    const template = parseGsmSymbolicTemplate(
      'p1/0042',
      templateFile(
        [
          '{name, Benny} has {x,10} {fruit,apple}s and eats {frac,half} of them.',
          'How many are left, {name,Ben}?',
          '',
          '#init:',
          '- name = sample(names)',
          '- fruit, other = sample(fruits, 2)',
          '- $x = range(10, 20)',
          '- $frac = sample(fractions)',
          '',
          '#conditions:',
          '- is_int(x * frac)',
          '-x > 2',
          '',
          '#answer: int(x * (1 - frac))',
        ].join('\n'),
        { question: 'Benny has 10 apples...', answer: 'He has 10 / 2 = 5 left.\n#### 5' },
      ),
    );
    expect(template.id).toBe('p1/0042');
    expect(template.variant).toBe('p1');
    expect(template.placeholders.map((placeholder) => [placeholder.variable, placeholder.defaultText])).toEqual([
      ['name', 'Benny'],
      ['x', '10'],
      ['fruit', 'apple'],
      ['frac', 'half'],
      ['name', 'Ben'],
    ]);
    expect(template.assignments.map((assignment) => assignment.targets)).toEqual([
      [{ name: 'name', drawsFromList: false }],
      [
        { name: 'fruit', drawsFromList: false },
        { name: 'other', drawsFromList: false },
      ],
      [{ name: 'x', drawsFromList: true }],
      [{ name: 'frac', drawsFromList: true }],
    ]);
    expect(template.assignments[1]?.expression.source).toBe('sample(fruits, 2)');
    expect(template.conditions.map((condition) => condition.source)).toEqual(['is_int(x * frac)', 'x > 2']);
    expect(template.answer.source).toBe('int(x * (1 - frac))');
    expect([...template.answer.names].sort()).toEqual(['frac', 'int', 'x']);
    expect(template.originalAnswer).toBe(5);
    expect(template.text.startsWith('{name, Benny} has')).toBe(true);
  });

  it('accepts `#answer = ...`, a braced answer, `$` inside expressions and no #conditions', () => {
    const equalsForm = parseGsmSymbolicTemplate('symbolic/0013', templateFile('{x,1} apples.\n#init:\n- $x = range(1, 5)\n#answer = x + 1'));
    expect(equalsForm.answer.source).toBe('x + 1');
    expect(equalsForm.conditions).toEqual([]);
    const braced = parseGsmSymbolicTemplate('p1/0017', templateFile('{t,40} min.\n#init:\n- $t = range(40, 70)\n#answer: {t+(t/Fraction(2, t))} '));
    expect(braced.answer.source).toBe('t+(t/Fraction(2, t))');
    const dollar = parseGsmSymbolicTemplate('p1/0021', templateFile('{ans,3}.\n#init:\n- $ans = range(1, 8)\n#answer: $ans'));
    expect([...dollar.answer.names]).toEqual(['ans']);
  });

  it('fails with an error naming the template for a syntax error', () => {
    const error = sleeptimeErrorThrownBy(() => parseGsmSymbolicTemplate('p2/0007', templateFile('{x,1}.\n#init:\n- $x = range(1, 5\n#answer: x')));
    expect(error.code).toBe('template_failed');
    expect(error.category).toBe('user');
    expect(error.message).toContain('p2/0007');
    expect(error.message).toMatch(/syntax error in #init/);
    expect(error.details).toMatchObject({ template: 'p2/0007', stage: 'parse' });
  });

  it('fails for a placeholder without an #init assignment', () => {
    const error = sleeptimeErrorThrownBy(() => parseGsmSymbolicTemplate('p1/0001', templateFile('{x,1} and {y,2}.\n#init:\n- $x = range(1, 5)\n#answer: x')));
    expect(error.message).toContain('p1/0001');
    expect(error.message).toContain('{y,...} has no #init assignment');
  });

  it('fails for missing sections, stray lines and stray braces', () => {
    expect(sleeptimeErrorThrownBy(() => parseGsmSymbolicTemplate('p1/0002', templateFile('Text.\n#answer: 1'))).message).toMatch(/p1\/0002.*no #init/);
    expect(sleeptimeErrorThrownBy(() => parseGsmSymbolicTemplate('p1/0003', templateFile('Text.\n#init:\n- $x = range(1, 5)'))).message).toMatch(/no #answer/);
    expect(
      sleeptimeErrorThrownBy(() => parseGsmSymbolicTemplate('p1/0004', templateFile('Text.\n#init:\n$x = range(1, 5)\n#answer: x'))).message,
    ).toMatch(/must start with '-'/);
    expect(sleeptimeErrorThrownBy(() => parseGsmSymbolicTemplate('p1/0005', templateFile('A {brace}.\n#init:\n- x = 1\n#answer: x'))).message).toMatch(
      /brace that is not a \{variable,default\} placeholder/,
    );
    expect(sleeptimeErrorThrownBy(() => parseGsmSymbolicTemplate('p1/0006', { question: 'no annotation' })).message).toMatch(/question_annotated/);
    expect(sleeptimeErrorThrownBy(() => parseGsmSymbolicTemplate('p1/0008', templateFile('T.\n#init:\n- x + 1\n#answer: x'))).message).toMatch(
      /not an assignment/,
    );
  });
});
