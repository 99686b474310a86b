import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDatasetFixtures } from '../dataset-fixtures-test-support.js';
import { describeWithDatasets } from '../datasets-test-support.js';
import { loadGsmSymbolicTemplates } from './generator.js';
import { inventoryTemplates, type TemplateInventory } from './template-inventory.js';
import { gsmSymbolicVariants } from './template-parser.js';
import { vocabularies } from './vocabularies.js';

function inventoryOf(datasetsDir: string): TemplateInventory {
  return inventoryTemplates(gsmSymbolicVariants.flatMap((variant) => loadGsmSymbolicTemplates(variant, datasetsDir)));
}

describeWithDatasets('inventoryTemplates over the 250 templates', (datasetsDir) => {
  let inventory: TemplateInventory;
  beforeAll(() => {
    inventory = inventoryOf(datasetsDir);
  });

  it('finds every function the templates call, and all of them are defined', () => {
    expect([...inventory.functions.keys()].sort()).toEqual([
      'Fraction', 'divides', 'fix_floats', 'frange', 'int', 'is_int', 'list', 'np.arange', 'np.random.randint',
      'numbers_within', 'range', 'round', 'sample', 'sample_sequential', 'shuffle_list',
    ]);
    expect(inventory.unsupported).toEqual([]);
  });

  it('finds the vocabularies the templates name, all of which exist', () => {
    const named = [...inventory.globals.keys()].filter((name) => !name.includes('.')).sort();
    expect(named).toEqual([...vocabularies.keys()].sort());
  });

  it('counts the operators, including the rare ones the evaluator must get right', () => {
    for (const operator of ['//', '%', '**', 'chained comparison', 'slice', 'index', 'if-else', 'and', 'not', 'tuple assignment']) {
      expect(inventory.operators.get(operator) ?? 0, operator).toBeGreaterThan(0);
    }
    expect(inventory.operators.get('chained comparison')).toBe(16);
  });
});

describe('inventoryTemplates over the fixture templates', () => {
  let datasetsDir: string;
  beforeAll(async () => {
    datasetsDir = await writeDatasetFixtures();
  });
  afterAll(async () => {
    await rm(datasetsDir, { recursive: true, force: true });
  });

  it('finds the functions, vocabularies and operators they use, all defined', () => {
    const inventory = inventoryOf(datasetsDir);
    expect([...inventory.functions.keys()].sort()).toEqual(['divides', 'frange', 'int', 'is_int', 'range', 'sample', 'sample_sequential']);
    expect(inventory.functions.get('range')).toBe(21);
    expect([...inventory.globals.keys()].sort()).toEqual(['currencies_sym', 'fraction_alph', 'fractions', 'multi_times', 'names', 'names_female', 'names_male', 'weekdays']);
    for (const operator of ['//', 'and', 'tuple assignment']) expect(inventory.operators.get(operator) ?? 0, operator).toBeGreaterThan(0);
    expect(inventory.unsupported).toEqual([]);
  });
});
