import { describe, expect, it } from 'vitest';
import { loadGsmSymbolicTemplates } from './generator.js';
import { inventoryTemplates } from './template-inventory.js';
import { gsmSymbolicVariants } from './template-parser.js';
import { vocabularies } from './vocabularies.js';

describe('inventoryTemplates over the 250 templates', () => {
  const inventory = inventoryTemplates(gsmSymbolicVariants.flatMap((variant) => loadGsmSymbolicTemplates(variant)));

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
