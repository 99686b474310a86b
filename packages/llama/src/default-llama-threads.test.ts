import { describe, expect, it } from 'vitest';
import { defaultLlamaThreads } from './llama-language-model.js';

describe('defaultLlamaThreads', () => {
  it('runs tiny models on one thread and leaves a core free for the rest of the process', () => {
    const mib = 2 ** 20;
    expect(defaultLlamaThreads(30 * mib, 8)).toBe(1);
    // SmolLM2-135M Q4_1 (98 MB) on this 2-core machine: 1 thread, not 2 (78 against about 1 token/s under load).
    expect(defaultLlamaThreads(98 * mib, 2)).toBe(1);
    expect(defaultLlamaThreads(1024 * mib, 8)).toBe(7);
    expect(defaultLlamaThreads(1024 * mib, 1)).toBe(1);
  });
});
