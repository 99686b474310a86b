import { describe, expect, it } from 'vitest';
import { SerialQueue } from './serial-queue.js';

const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('SerialQueue', () => {
  it('runs tasks one at a time in arrival order, also after a task fails', async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    let running = 0;
    const task = (name: string, milliseconds: number, fail = false) =>
      queue.run(async () => {
        running++;
        expect(running).toBe(1);
        events.push(`start ${name}`);
        await pause(milliseconds);
        events.push(`end ${name}`);
        running--;
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([task('a', 20), task('b', 5, true), task('c', 1)]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('rejects a waiting task at once when its signal aborts, never runs it, and keeps the order for the rest', async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    const controller = new AbortController();
    const first = queue.run(async () => {
      await pause(30);
      events.push('first');
    });
    const aborted = queue.run(async () => {
      events.push('aborted ran');
    }, controller.signal);
    const third = queue.run(async () => {
      events.push('third');
    });
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    // Rejected before the first task is done: the caller does not wait for its turn.
    expect(events).toEqual([]);
    await Promise.all([first, third]);
    expect(events).toEqual(['first', 'third']);
  });
});
