import { describe, expect, it } from 'vitest';
import { SleeptimeError } from '../errors.js';
import {
  ANTHROPIC_THINKING_BUDGET_BY_EFFORT,
  BUDGET_MAPPING,
  mapBudgetToCallSettings,
} from './budget-mapping.js';
import type { ModelBudget, ProviderKind } from './types.js';

function mappingError(provider: ProviderKind, budget: ModelBudget): SleeptimeError {
  try {
    mapBudgetToCallSettings(provider, budget);
  } catch (error) {
    if (SleeptimeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(budget)} to be rejected for ${provider}`);
}

const providers: ProviderKind[] = ['openai', 'anthropic', 'openai-compatible', 'llama'];

describe('mapBudgetToCallSettings', () => {
  it.each(providers)('%s: an empty budget sets nothing', (provider) => {
    expect(mapBudgetToCallSettings(provider, {})).toEqual({});
  });

  it.each(providers)('%s: maxOutputTokens passes through', (provider) => {
    expect(mapBudgetToCallSettings(provider, { maxOutputTokens: 321 })).toEqual({ maxOutputTokens: 321 });
  });

  it('openai: effort becomes reasoningEffort', () => {
    expect(mapBudgetToCallSettings('openai', { effort: 'high', maxOutputTokens: 50 })).toEqual({
      maxOutputTokens: 50,
      providerOptions: { openai: { reasoningEffort: 'high' } },
    });
  });

  it('openai-compatible: effort goes under the key the provider reads without a deprecation warning', () => {
    expect(mapBudgetToCallSettings('openai-compatible', { effort: 'low' })).toEqual({
      providerOptions: { openaiCompatible: { reasoningEffort: 'low' } },
    });
  });

  it.each(['low', 'medium', 'high'] as const)('anthropic: effort %s enables thinking with the documented budget', (effort) => {
    expect(mapBudgetToCallSettings('anthropic', { effort })).toEqual({
      providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: ANTHROPIC_THINKING_BUDGET_BY_EFFORT[effort] } } },
    });
  });

  it('anthropic: effort budgets grow with the level', () => {
    const { low, medium, high } = ANTHROPIC_THINKING_BUDGET_BY_EFFORT;
    expect(low).toBeGreaterThanOrEqual(1024);
    expect(medium).toBeGreaterThan(low);
    expect(high).toBeGreaterThan(medium);
  });

  it('anthropic: thinkingBudget enables thinking with that budget', () => {
    expect(mapBudgetToCallSettings('anthropic', { thinkingBudget: 4000, maxOutputTokens: 1000 })).toEqual({
      maxOutputTokens: 1000,
      providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 4000 } } },
    });
  });

  it('anthropic: a thinkingBudget below 1024 is a budget error', () => {
    const error = mappingError('anthropic', { thinkingBudget: 1023 });
    expect(error.code).toBe('invalid_budget');
    expect(error.message).toContain('at least 1024');
    expect(mapBudgetToCallSettings('anthropic', { thinkingBudget: 1024 }).providerOptions).toBeDefined();
  });

  it('anthropic: effort and thinkingBudget together are rejected', () => {
    expect(mappingError('anthropic', { effort: 'low', thinkingBudget: 2000 }).code).toBe('invalid_budget');
  });

  it('llama: effort and thinkingBudget map to reasoningEffort and thoughtTokens', () => {
    expect(mapBudgetToCallSettings('llama', { effort: 'medium', thinkingBudget: 64 })).toEqual({
      providerOptions: { llama: { reasoningEffort: 'medium', thoughtTokens: 64 } },
    });
    expect(mapBudgetToCallSettings('llama', { thinkingBudget: 10 })).toEqual({ providerOptions: { llama: { thoughtTokens: 10 } } });
  });

  it.each(['openai', 'openai-compatible'] as const)('%s: thinkingBudget is unsupported, not ignored', (provider) => {
    const error = mappingError(provider, { thinkingBudget: 2048 });
    expect(error.code).toBe('unsupported_budget');
    expect(error.category).toBe('user');
    expect(error.message).toContain(provider);
    expect(error.message).toContain('thinkingBudget');
    expect(error.details).toEqual({ provider, knob: 'thinkingBudget' });
  });

  it.each([
    [{ maxOutputTokens: 0 }, 'maxOutputTokens must be a positive integer'],
    [{ maxOutputTokens: -5 }, 'maxOutputTokens must be a positive integer'],
    [{ maxOutputTokens: 1.5 }, 'maxOutputTokens must be a positive integer'],
    [{ maxOutputTokens: Number.NaN }, 'maxOutputTokens must be a positive integer'],
    [{ thinkingBudget: 0 }, 'thinkingBudget must be a positive integer'],
    [{ thinkingBudget: 12.5 }, 'thinkingBudget must be a positive integer'],
    [{ effort: 'extreme' }, 'effort must be low, medium or high'],
    [{ thinking_budget: 100 }, 'unknown budget field(s): thinking_budget'],
  ])('rejects %j as an invalid budget', (budget, problem) => {
    for (const provider of providers) {
      const error = mappingError(provider, budget as ModelBudget);
      expect(error.code).toBe('invalid_budget');
      expect(error.category).toBe('user');
      expect(error.message).toContain(problem);
      expect(error.message).not.toContain('\n');
    }
  });

  it('documents every provider and knob', () => {
    expect(Object.keys(BUDGET_MAPPING).sort()).toEqual([...providers].sort());
    for (const provider of providers) {
      expect(Object.keys(BUDGET_MAPPING[provider]).sort()).toEqual(['budgetForcing', 'effort', 'maxOutputTokens', 'thinkingBudget']);
    }
  });
});

describe('mapBudgetToCallSettings: budget forcing', () => {
  it('llama: goes to providerOptions.llama.budgetForcing, extend with its default of one wait', () => {
    expect(mapBudgetToCallSettings('llama', { maxOutputTokens: 900, budgetForcing: { mode: 'extend', thinkingTokens: 512 } })).toEqual({
      maxOutputTokens: 900,
      providerOptions: { llama: { budgetForcing: { mode: 'extend', thinkingTokens: 512, waits: 1 } } },
    });
    expect(mapBudgetToCallSettings('llama', { budgetForcing: { mode: 'cap', thinkingTokens: 64 } })).toEqual({
      providerOptions: { llama: { budgetForcing: { mode: 'cap', thinkingTokens: 64 } } },
    });
  });

  it('openai-compatible with raw completions: goes to providerOptions.sleeptime.budgetForcing', () => {
    expect(mapBudgetToCallSettings('openai-compatible', { budgetForcing: { mode: 'extend', thinkingTokens: 256, waits: 3 } }, { rawCompletions: true })).toEqual({
      providerOptions: { sleeptime: { budgetForcing: { mode: 'extend', thinkingTokens: 256, waits: 3 } } },
    });
  });

  it.each(['openai', 'anthropic', 'openai-compatible'] as const)('%s without raw completions: unsupported, naming who supports it', (provider) => {
    const error = mappingError(provider, { budgetForcing: { mode: 'cap', thinkingTokens: 256 } });
    expect(error).toMatchObject({ code: 'unsupported_budget', category: 'user', details: { provider, knob: 'budgetForcing' } });
    expect(error.message).toMatch(/SLEEPTIME_COMPLETIONS_TEMPLATE/);
    expect(error.message).not.toContain('\n');
  });

  it.each([
    [{ budgetForcing: { mode: 'stretch', thinkingTokens: 10 } }, 'budgetForcing.mode must be cap or extend'],
    [{ budgetForcing: { mode: 'cap', thinkingTokens: 0 } }, 'thinkingTokens must be a positive integer'],
    [{ budgetForcing: { mode: 'extend', thinkingTokens: 10, waits: 0 } }, 'waits must be an integer from 1 to 64'],
    [{ budgetForcing: { mode: 'cap', thinkingTokens: 10, waits: 2 } }, 'waits'],
    [{ budgetForcing: { mode: 'cap', thinkingTokens: 10 }, thinkingBudget: 10 }, 'budgetForcing sets the thinking budget itself'],
    [{ budgetForcing: { mode: 'cap', thinkingTokens: 10 }, effort: 'low' }, 'budgetForcing sets the thinking budget itself'],
  ])('rejects %j as an invalid budget', (budget, problem) => {
    const error = mappingError('llama', budget as ModelBudget);
    expect(error).toMatchObject({ code: 'invalid_budget', category: 'user' });
    expect(error.message).toContain(problem);
  });
});
