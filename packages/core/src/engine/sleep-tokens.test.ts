import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { sleeptimeErrorOf } from '../testing/sleeptime-error-of.js';
import { finish, rethink, scriptedLanguageModel, testModel, type ScriptStep } from '../testing/mock-models.js';
import { createEngine, type Engine } from './index.js';
import { nextUtcMidnight, utcDay } from './sleep-tokens.js';

const contextText = 'Ana has 3 boxes with 12 pencils each. She gives 5 pencils to Ben.';
const memory = 'Ana starts with 36 pencils and keeps 31; Ben has 5.';

let dataDir: string;
let store: Store;
let clock: number;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-sleep-tokens-'));
  store = await openStore({ kind: 'sqlite', dataDir });
  clock = Date.parse('2030-03-04T22:00:00.000Z');
});

afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** An engine on the test clock whose model plays `script` and counts how often it was made. */
function engineWith(script: ScriptStep[]) {
  const languageModel = scriptedLanguageModel(script);
  const made = { count: 0 };
  const engine: Engine = createEngine({
    store,
    now: () => clock,
    model: async () => {
      made.count += 1;
      return testModel(languageModel);
    },
  });
  return { engine, languageModel, made };
}

/** One sleep: a rewrite (10 in, 20 out of which 5 reasoning), then finish (3 in, 1 out): 34 tokens. */
const oneSleep = (): ScriptStep[] => [rethink(memory, { input: 10, output: 20, reasoning: 5 }), finish({ input: 3, output: 1 })];

describe('sleep-time tokens per tenant per UTC day', () => {
  it("counts each sleep-time call's input and output tokens toward its tenant's day (reasoning tokens are part of the output, not added again)", async () => {
    const { engine } = engineWith(oneSleep());
    await engine.putContext({ id: 't1.notes', text: contextText });
    const result = await engine.sleep('t1.notes');
    expect(result.usage).toEqual({ inputTokens: 13, outputTokens: 21, reasoningTokens: 5 });
    expect(await engine.sleepTokenUsage('t1.')).toEqual({ tenant: 't1.', day: '2030-03-04', tokens: 34, resetsAt: new Date('2030-03-05T00:00:00.000Z') });
    expect((await engine.sleepTokenUsage('t2.')).tokens).toBe(0);
  });

  it('refuses a sleep of a tenant at or over its limit with sleep_token_limit before making the model or starting a run; other tenants and untenanted contexts sleep', async () => {
    const { engine, languageModel, made } = engineWith([...oneSleep(), ...oneSleep(), ...oneSleep()]);
    for (const id of ['t1.a', 't1.b', 't2.a', 'plain']) await engine.putContext({ id, text: contextText });
    // Below the limit when it starts: a sleep in progress may end over it (34 > 30).
    await engine.sleep('t1.a', { maxTokensPerTenantPerDay: 30 });
    const madeBefore = made.count;
    const callsBefore = languageModel.doGenerateCalls.length;

    const error = await sleeptimeErrorOf(engine.sleep('t1.b', { maxTokensPerTenantPerDay: 30 }));
    expect(error).toMatchObject({
      code: 'sleep_token_limit',
      category: 'user',
      message:
        "The tenant's sleep runs used 34 tokens today (UTC 2030-03-04), at or over its limit of 30 sleep-time tokens a day; sleeps start again at midnight UTC",
      details: { limit: 30, tokens: 34, day: '2030-03-04', resetsAt: '2030-03-05T00:00:00.000Z', retryAfterSeconds: 7200 },
    });
    // Exactly at the limit is refused too; the check on its own says the same.
    await expect(engine.checkSleepTokens('t1.b', 34)).rejects.toMatchObject({ code: 'sleep_token_limit' });
    await expect(engine.checkSleepTokens('t1.b', 35)).resolves.toBeUndefined();
    await expect(engine.checkSleepTokens('t1.b', undefined)).resolves.toBeUndefined();
    expect(made.count).toBe(madeBefore);
    expect(languageModel.doGenerateCalls).toHaveLength(callsBefore);
    expect(await engine.runs('t1.b')).toEqual([]);

    await engine.sleep('t2.a', { maxTokensPerTenantPerDay: 30 });
    // A context without a tenant has no limit, and counts toward none.
    await engine.sleep('plain', { maxTokensPerTenantPerDay: 30 });
    expect((await engine.sleepTokenUsage('t2.')).tokens).toBe(34);
  });

  it('starts a new count at 00:00 UTC', async () => {
    const { engine } = engineWith([...oneSleep(), ...oneSleep()]);
    await engine.putContext({ id: 't1.notes', text: contextText });
    await engine.sleep('t1.notes', { maxTokensPerTenantPerDay: 30 });
    clock = Date.parse('2030-03-04T23:59:59.999Z');
    expect(await sleeptimeErrorOf(engine.sleep('t1.notes', { maxTokensPerTenantPerDay: 30 }))).toMatchObject({ code: 'sleep_token_limit', details: { retryAfterSeconds: 1 } });
    clock = Date.parse('2030-03-05T00:00:00.000Z');
    await engine.sleep('t1.notes', { maxTokensPerTenantPerDay: 30 });
    expect(await engine.sleepTokenUsage('t1.')).toMatchObject({ day: '2030-03-05', tokens: 34 });
  });

  it("does not give a tenant its tokens back when its contexts (and with them their runs) are deleted", async () => {
    const { engine } = engineWith(oneSleep());
    await engine.putContext({ id: 't1.notes', text: contextText });
    await engine.sleep('t1.notes');
    await engine.deleteContext('t1.notes');
    await engine.putContext({ id: 't1.notes', text: contextText });
    expect(await engine.runs('t1.notes')).toEqual([]);
    expect((await engine.sleepTokenUsage('t1.')).tokens).toBe(34);
    await expect(engine.sleep('t1.notes', { maxTokensPerTenantPerDay: 34 })).rejects.toMatchObject({ code: 'sleep_token_limit' });
  });

  it('refuses a limit that is not a whole number of at least 1', async () => {
    const { engine } = engineWith([]);
    await engine.putContext({ id: 't1.notes', text: contextText });
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      expect(await sleeptimeErrorOf(engine.sleep('t1.notes', { maxTokensPerTenantPerDay: limit }))).toMatchObject({ code: 'invalid_option', category: 'user' });
    }
  });

  it('names days and their ends in UTC', () => {
    expect(utcDay(Date.parse('2030-12-31T23:59:59.999Z'))).toBe('2030-12-31');
    expect(nextUtcMidnight(Date.parse('2030-12-31T23:59:59.999Z'))).toEqual(new Date('2031-01-01T00:00:00.000Z'));
    expect(nextUtcMidnight(Date.parse('2031-01-01T00:00:00.000Z'))).toEqual(new Date('2031-01-02T00:00:00.000Z'));
  });
});
