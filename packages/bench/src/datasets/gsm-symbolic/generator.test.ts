import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATASETS_DIR_ENV } from '../datasets-dir.js';
import { generateGsmSymbolic, type GsmSymbolicInstance } from './generator.js';
import { writeGsmSymbolicJsonl } from './instances-jsonl.js';
import { sleeptimeErrorThrownBy } from '@sleeptime/core/testing';

const temporaryFolders: string[] = [];

afterEach(() => {
  for (const folder of temporaryFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A datasets folder holding the given templates (`{'p1/0000': annotated}`). */
function datasetsWith(templates: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'gsm-symbolic-test-'));
  temporaryFolders.push(root);
  for (const [id, annotated] of Object.entries(templates)) {
    const [variant, number] = id.split('/') as [string, string];
    const folder = join(root, 'gsm-symbolic', 'templates', variant);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${number}.json`), JSON.stringify({ question_annotated: annotated, answer: '#### 1' }));
  }
  return root;
}

const goodTemplate = [
  '{name,Ann} buys {n,3} {fruit,apple}s at {cur,$}{price,0.5} each and eats {frac,half} of them. How much did she pay?',
  '#init:',
  '- name = sample(names_female)',
  '- fruit = sample(fruits)',
  '- cur = sample(currencies_sym)',
  '- $n = range(2, 40, 2)',
  '- $price = [0.3, 0.5, 1.25]',
  '- $frac = sample(fractions)',
  '#conditions:',
  '- is_int(n * frac)',
  '#answer: n * price',
].join('\n');

describe('generateGsmSymbolic on templates of its own', () => {
  it('substitutes values into the text: prices with two decimals, words for vocabulary numbers', () => {
    const datasetsDir = datasetsWith({ 'p1/0000': goodTemplate });
    const instances = generateGsmSymbolic({ variant: 'p1', perTemplate: 4, seed: 3, datasetsDir });
    expect(instances).toHaveLength(4);
    for (const instance of instances) {
      const { n, price, frac } = instance.bindings as { n: number; price: number; frac: number };
      expect(instance.question).toMatch(/^[A-Z][a-z]+ buys \d+ [a-z]+s at [$€£¥₹]\d+\.\d\d each and eats (half|a third|a quarter|two-thirds|three-quarters) of them\. How much did she pay\?$/);
      expect(instance.question).toContain(` ${n} `);
      expect(instance.question).toContain(price.toFixed(2));
      expect(instance.labels.frac).toBeDefined();
      expect(instance.question).toContain(`eats ${instance.labels.frac} of`);
      expect(Math.abs(n * frac - Math.round(n * frac))).toBeLessThan(1e-9); // is_int(n * frac)
      expect(instance.answer).toBeCloseTo(n * price, 10);
      expect(instance.query).toBe('How much did she pay?');
      expect(instance.context).toBe(instance.question.slice(0, -' How much did she pay?'.length));
    }
  });

  it('reads the templates from SLEEPTIME_DATASETS_DIR when no folder is given', () => {
    const datasetsDir = datasetsWith({ 'p2/0000': goodTemplate });
    const previous = process.env[DATASETS_DIR_ENV];
    process.env[DATASETS_DIR_ENV] = datasetsDir;
    try {
      const instances = generateGsmSymbolic({ variant: 'p2', perTemplate: 1, seed: 1 });
      expect(instances.map((instance) => instance.template)).toEqual(['p2/0000']);
    } finally {
      if (previous === undefined) delete process.env[DATASETS_DIR_ENV];
      else process.env[DATASETS_DIR_ENV] = previous;
    }
  });

  it('fails naming the template when a function is unknown', () => {
    const datasetsDir = datasetsWith({ 'p1/0007': '{x,1} apples.\n#init:\n- $x = range(1, 9)\n#answer: frobnicate(x)' });
    const error = sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p1', perTemplate: 1, seed: 1, datasetsDir }));
    expect(error.code).toBe('template_failed');
    expect(error.category).toBe('user');
    expect(error.message).toContain('p1/0007');
    expect(error.message).toContain("unknown name 'frobnicate'");
    expect(error.details).toMatchObject({ template: 'p1/0007', stage: 'names', name: 'frobnicate' });
  });

  it('fails naming the template when no draw satisfies the conditions within the bound', () => {
    const datasetsDir = datasetsWith({
      'p1/0000': goodTemplate,
      'p1/0001': '{x,1} apples.\n#init:\n- $x = range(1, 9)\n#conditions:\n- x > 100\n#answer: x',
    });
    const error = sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p1', perTemplate: 1, seed: 1, datasetsDir, maxAttemptsPerInstance: 500 }));
    expect(error.code).toBe('template_failed');
    expect(error.message).toContain('p1/0001');
    expect(error.message).toContain('no values satisfied every condition in 500 attempts');
    expect(error.details).toMatchObject({ template: 'p1/0001', stage: 'sampling', attempts: 500 });
  });

  it('fails naming the template on a syntax error, a type error or an answer that is not a number', () => {
    const syntax = datasetsWith({ 'p2/0003': '{x,1}.\n#init:\n- $x = range(1, 9\n#answer: x' });
    expect(sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p2', perTemplate: 1, seed: 1, datasetsDir: syntax })).message).toMatch(
      /p2\/0003 failed \(parse\): syntax error/,
    );
    const typeError = datasetsWith({ 'p2/0004': "{x,1}.\n#init:\n- $x = range(1, 9)\n#answer: x + 'a'" });
    const typeFailure = sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p2', perTemplate: 1, seed: 1, datasetsDir: typeError }));
    expect(typeFailure.message).toMatch(/p2\/0004 failed \(answer\): TypeError/);
    expect(typeFailure.details).toMatchObject({ expression: "x + 'a'" });
    const notNumber = datasetsWith({ 'p2/0005': '{name,Ann}.\n#init:\n- name = sample(names)\n#answer: name' });
    expect(sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p2', perTemplate: 1, seed: 1, datasetsDir: notNumber })).message).toMatch(
      /p2\/0005 failed \(answer\): #answer is not a number/,
    );
    const badJson = datasetsWith({});
    mkdirSync(join(badJson, 'gsm-symbolic', 'templates', 'p2'), { recursive: true });
    writeFileSync(join(badJson, 'gsm-symbolic', 'templates', 'p2', '0009.json'), '{ not json');
    expect(sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p2', perTemplate: 1, seed: 1, datasetsDir: badJson })).message).toMatch(
      /p2\/0009 failed \(parse\): not valid JSON/,
    );
  });

  it('skips a draw that divides by zero instead of failing the template', () => {
    const datasetsDir = datasetsWith({ 'p1/0000': '{x,1}.\n#init:\n- $x = range(0, 3)\n#conditions:\n- 6 / x > 2\n#answer: 6 // x' });
    const instances = generateGsmSymbolic({ variant: 'p1', perTemplate: 2, seed: 1, datasetsDir });
    expect(instances.map((instance) => instance.bindings.x).sort()).toEqual([1, 2]);
  });

  it('rejects bad options and unknown folders, variants and templates', () => {
    const datasetsDir = datasetsWith({ 'p1/0000': goodTemplate });
    expect(sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p1', perTemplate: 0, seed: 1, datasetsDir })).code).toBe('invalid_option');
    expect(sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p1', perTemplate: 1, seed: 1.5, datasetsDir })).code).toBe('invalid_option');
    expect(sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p3' as 'p1', perTemplate: 1, seed: 1, datasetsDir })).code).toBe('invalid_option');
    expect(sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p2', perTemplate: 1, seed: 1, datasetsDir })).code).toBe(
      'gsm_symbolic_templates_not_found',
    );
    expect(sleeptimeErrorThrownBy(() => generateGsmSymbolic({ variant: 'p1', perTemplate: 1, seed: 1, datasetsDir, templates: ['0042'] })).code).toBe(
      'gsm_symbolic_template_unknown',
    );
  });

  it('gives up on distinct questions when a template has too few, rather than failing', () => {
    const datasetsDir = datasetsWith({ 'p1/0000': '{x,1} apples.\n#init:\n- $x = range(1, 3)\n#answer: x' });
    const instances = generateGsmSymbolic({ variant: 'p1', perTemplate: 4, seed: 1, datasetsDir });
    expect(instances).toHaveLength(4);
    expect(new Set(instances.map((instance) => instance.question))).toEqual(new Set(['1 apples.', '2 apples.']));
  });
});

describe('writeGsmSymbolicJsonl', () => {
  it('writes one instance a line with every field', async () => {
    const datasetsDir = datasetsWith({ 'p1/0000': goodTemplate });
    const instances = generateGsmSymbolic({ variant: 'p1', perTemplate: 3, seed: 9, datasetsDir });
    const path = join(datasetsDir, 'out', 'instances.jsonl');
    await writeGsmSymbolicJsonl(path, instances);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const rows = lines.map((line) => JSON.parse(line) as GsmSymbolicInstance);
    expect(rows).toEqual(instances);
    expect(Object.keys(rows[0] as object)).toEqual(['id', 'template', 'question', 'answer', 'bindings', 'labels', 'context', 'query']);
  });
});
