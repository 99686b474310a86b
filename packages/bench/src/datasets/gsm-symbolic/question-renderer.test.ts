import { describe, expect, it } from 'vitest';
import { displayValue, renderQuestion } from './question-renderer.js';
import { LabeledValue, makeFloat, makeFraction, type PyValue } from './python-values.js';
import { parseGsmSymbolicTemplate } from './template-parser.js';

function render(text: string, values: Record<string, PyValue>): string {
  const init = Object.keys(values).map((name) => `- ${name} = 0`).join('\n');
  const template = parseGsmSymbolicTemplate('p1/0000', { question_annotated: `${text}\n#init:\n${init}\n#answer: 0` });
  return renderQuestion(template, new Map(Object.entries(values)));
}

describe('renderQuestion', () => {
  it('prints ints as digits, whole floats without .0, and prices with two decimals', () => {
    expect(render('{n,3} pens for {cur,$}{price,0.40}, {m,2.5} kg, {w,4.0} m, ${c,1}.', {
      n: 12,
      cur: '€',
      price: makeFloat(3, 10),
      m: makeFloat(9, 4),
      w: makeFloat(7),
      c: makeFloat(15, 2),
    })).toBe('12 pens for €0.30, 2.25 kg, 7 m, $7.50.');
  });

  it('shows vocabulary words by their label and Fractions as n/d', () => {
    expect(render('He ate {frac,half} and {mult,twice} that, {f,1/3} in all.', {
      frac: new LabeledValue('a third', makeFloat(1, 3)),
      mult: new LabeledValue('three times', 3),
      f: makeFraction(2, 5),
    })).toBe('He ate a third and three times that, 2/5 in all.');
  });

  it('capitalizes a value that starts a sentence, and only then', () => {
    expect(render('{frac_1,half} of the balls are {color,blue}. {o1,hay} is food. "Buy {n,1}!" {x,hay} ok', {
      frac_1: new LabeledValue('two-thirds', makeFloat(2, 3)),
      color: 'teal',
      o1: 'oats',
      n: 3,
      x: 'corn',
    })).toBe('Two-thirds of the balls are teal. Oats is food. "Buy 3!" Corn ok');
    expect(render('It costs 2.{cents,50} now.', { cents: 'fifty' })).toBe('It costs 2.fifty now.');
  });

  it("keeps a possessive written in the default", () => {
    expect(render("{name2, Angela's} sister {name2,Angela} came.", { name2: 'Mia' })).toBe("Mia's sister Mia came.");
  });

  it('collapses doubled spaces from the template text', () => {
    expect(render('The  length of his  {room,room} is {n,3}.', { room: 'office', n: 4 })).toBe('The length of his office is 4.');
  });

  it('formats non-decimal floats readably', () => {
    expect(displayValue(makeFloat(1, 3), false)).toBe('0.333333');
    expect(displayValue(makeFloat(1, 8), true)).toBe('0.125');
  });
});
