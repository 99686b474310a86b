import { describe, expect, it } from 'vitest';
import { sleeptimeErrorThrownBy } from '@sleeptime/core/testing';
import { modelOptionsFrom } from './global-options.js';

describe('modelOptionsFrom', () => {
  it('turns --llama-time-limit seconds into the per-call limit in milliseconds, 0 for none', () => {
    expect(modelOptionsFrom({ llamaTimeLimit: '90' })).toEqual({ llamaCallTimeLimitMs: 90_000 });
    expect(modelOptionsFrom({ llamaTimeLimit: '0.25' })).toEqual({ llamaCallTimeLimitMs: 250 });
    expect(modelOptionsFrom({ llamaTimeLimit: '0' })).toEqual({ llamaCallTimeLimitMs: 0 });
  });

  it('leaves the limit to SLEEPTIME_LLAMA_TIME_LIMIT and the default when the flag is absent', () => {
    expect(modelOptionsFrom({})).toEqual({});
  });

  it.each(['-5', '10m', '', 'soon'])('refuses %j in one line that names the flag', (value) => {
    const failure = sleeptimeErrorThrownBy(() => modelOptionsFrom({ llamaTimeLimit: value }));
    expect(failure).toMatchObject({ code: 'invalid_option', category: 'user' });
    expect(failure.message).toContain('--llama-time-limit must be a number of seconds, 0 for none');
  });

  it('takes --llama-threads as a positive integer, and refuses anything else in one line', () => {
    expect(modelOptionsFrom({ llamaThreads: '1' })).toEqual({ llamaThreads: 1 });
    expect(modelOptionsFrom({ llamaThreads: '6', llamaTimeLimit: '30' })).toEqual({ llamaThreads: 6, llamaCallTimeLimitMs: 30_000 });
    for (const value of ['0', '-1', '1.5', 'all']) {
      expect(sleeptimeErrorThrownBy(() => modelOptionsFrom({ llamaThreads: value })).message).toContain('--llama-threads must be a positive integer');
    }
  });
});
