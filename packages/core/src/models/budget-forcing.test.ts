import { describe, expect, it } from 'vitest';
import { BUDGET_FORCING_WAIT, budgetForcingSchema, shouldWait, waitContinuation } from './budget-forcing.js';

describe('budget forcing: when to say "Wait"', () => {
  const extend = budgetForcingSchema.parse({ mode: 'extend', thinkingTokens: 100, waits: 2 });
  const cap = budgetForcingSchema.parse({ mode: 'cap', thinkingTokens: 100 });

  it('extend: the model ended its thinking below the budget with waits left', () => {
    expect(shouldWait(extend, { thoughtTokens: 10, waitsUsed: 0 })).toBe(true);
    expect(shouldWait(extend, { thoughtTokens: 99, waitsUsed: 1 })).toBe(true);
  });

  it('extend: not once the waits are used up or the budget is reached', () => {
    expect(shouldWait(extend, { thoughtTokens: 10, waitsUsed: 2 })).toBe(false);
    expect(shouldWait(extend, { thoughtTokens: 100, waitsUsed: 0 })).toBe(false);
  });

  it('cap never says "Wait"', () => {
    expect(shouldWait(cap, { thoughtTokens: 0, waitsUsed: 0 })).toBe(false);
  });

  it('extend without waits means one', () => {
    expect(budgetForcingSchema.parse({ mode: 'extend', thinkingTokens: 8 })).toEqual({ mode: 'extend', thinkingTokens: 8, waits: 1 });
  });

  it('"Wait" starts a line of its own', () => {
    expect(waitContinuation('so 6.')).toBe(`\n${BUDGET_FORCING_WAIT}`);
    expect(waitContinuation('so 6.\n')).toBe(BUDGET_FORCING_WAIT);
    expect(waitContinuation('')).toBe(BUDGET_FORCING_WAIT);
  });
});
