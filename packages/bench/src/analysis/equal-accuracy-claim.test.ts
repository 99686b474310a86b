import { describe, expect, it } from 'vitest';
import { claimRules, intervalsOverlap, judgeTokenReduction, sampleObstacles } from './equal-accuracy-claim.js';

const at = (accuracy: number, lower: number, upper: number, contexts = 100) => ({ accuracy, interval: { lower, upper, contexts } });

describe('judgeTokenReduction', () => {
  it('supports "the same accuracy" above the floor, with enough contexts and overlapping intervals', () => {
    expect(judgeTokenReduction({ reading: 'interpolated', sleepTime: at(0.6, 0.5, 0.7), testTimeOnly: at(0.6, 0.52, 0.68) })).toEqual({
      claim: 'same-accuracy',
      supported: true,
      obstacles: [],
      contexts: 100,
    });
  });

  it('refuses it when every condition scores 0%', () => {
    expect(judgeTokenReduction({ reading: 'measured', sleepTime: at(0, 0, 0), testTimeOnly: at(0, 0, 0) }).obstacles).toEqual(['below-floor']);
  });

  it('refuses it on six items, whatever the accuracies', () => {
    const judgement = judgeTokenReduction({ reading: 'measured', sleepTime: at(1 / 6, 0, 0.5, 6), testTimeOnly: at(1 / 6, 0, 0.5, 6) });
    expect(judgement).toMatchObject({ supported: false, obstacles: ['too-few-contexts'], contexts: 6 });
  });

  it('refuses an upper bound when test-time only is clearly more accurate at its cheapest budget', () => {
    expect(judgeTokenReduction({ reading: 'at-most', sleepTime: at(0.3, 0.2, 0.4), testTimeOnly: at(0.8, 0.7, 0.9) }).obstacles).toEqual(['intervals-apart']);
    expect(judgeTokenReduction({ reading: 'at-most', sleepTime: at(0.5, 0.4, 0.6), testTimeOnly: at(0.55, 0.45, 0.65) }).supported).toBe(true);
  });

  it('says test-time only never reaches an accuracy only when the intervals are apart', () => {
    expect(judgeTokenReduction({ reading: 'not-reached', sleepTime: at(0.9, 0.8, 0.95), testTimeOnly: at(0.5, 0.4, 0.6) })).toMatchObject({
      claim: 'never-reached',
      supported: true,
    });
    expect(judgeTokenReduction({ reading: 'not-reached', sleepTime: at(0.6, 0.5, 0.7), testTimeOnly: at(0.55, 0.45, 0.65) }).obstacles).toEqual(['intervals-overlap']);
  });

  it('follows the rules it is given', () => {
    const evidence = { reading: 'measured' as const, sleepTime: at(0.15, 0.1, 0.2, 40), testTimeOnly: at(0.15, 0.1, 0.2, 40) };
    expect(judgeTokenReduction(evidence).supported).toBe(true);
    expect(judgeTokenReduction(evidence, claimRules({ accuracyFloor: 0.2, minimumContexts: 50 })).obstacles).toEqual(['too-few-contexts', 'below-floor']);
    expect(judgeTokenReduction({ ...evidence, testTimeOnly: null }).obstacles).toEqual(['no-comparison', 'too-few-contexts']);
  });
});

describe('claim rules', () => {
  it('default to a 10% floor and 30 contexts, and are checked', () => {
    expect(claimRules()).toEqual({ accuracyFloor: 0.1, minimumContexts: 30 });
    expect(() => claimRules({ accuracyFloor: 1.5 })).toThrow(RangeError);
    expect(() => claimRules({ minimumContexts: 0 })).toThrow(RangeError);
  });

  it('apply the floor and the sample size alone to comparisons that claim no equality', () => {
    expect(sampleObstacles(at(0.05, 0, 0.1, 10), at(0.5, 0.4, 0.6, 10))).toEqual(['too-few-contexts', 'below-floor']);
    expect(sampleObstacles(at(0.5, 0.4, 0.6), at(0.9, 0.85, 0.95))).toEqual([]);
  });
});

describe('intervalsOverlap', () => {
  it('counts a shared end point as overlap', () => {
    expect(intervalsOverlap({ lower: 0, upper: 0.5 }, { lower: 0.5, upper: 1 })).toBe(true);
    expect(intervalsOverlap({ lower: 0, upper: 0.4 }, { lower: 0.5, upper: 1 })).toBe(false);
    expect(intervalsOverlap({ lower: 0, upper: 0 }, { lower: 0, upper: 0 })).toBe(true);
  });
});
