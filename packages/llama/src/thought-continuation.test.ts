import { describe, expect, it } from 'vitest';
import type { ChatHistoryItem } from 'node-llama-cpp';
import { appendResponseItems, historyContinuing, reopenThought, responseText, type ResponseItem } from './thought-continuation.js';

const thought = (text: string, ended: boolean): ResponseItem => ({ type: 'segment', segmentType: 'thought', text, ended });
const wait = (soFar: string) => (soFar === '' ? 'Wait' : '\nWait');

describe('thought continuation across budget-forcing phases', () => {
  it('joins a thought that continues an open one, and text to text', () => {
    expect(appendResponseItems([thought('a', false)], [thought('b', true), 'x'])).toEqual([thought('ab', true), 'x']);
    expect(appendResponseItems(['x'], ['y'])).toEqual(['xy']);
    expect(appendResponseItems([thought('a', true)], [thought('b', true)])).toEqual([thought('a', true), thought('b', true)]);
  });

  it('reopens the last thought with "Wait", dropping what the model wrote after closing it', () => {
    expect(reopenThought([thought('so 6.', true), 'The ans'], wait)).toEqual({ items: [thought('so 6.\nWait', false)], appended: '\nWait' });
  });

  it('reopens a thought that was closed before any of it arrived', () => {
    expect(reopenThought([], wait)).toEqual({ items: [thought('Wait', false)], appended: 'Wait' });
  });

  it('continues the last model response of the history', () => {
    const history: ChatHistoryItem[] = [{ type: 'user', text: 'q' }, { type: 'model', response: [] }];
    expect(historyContinuing(history, [thought('Wait', false)])).toEqual([{ type: 'user', text: 'q' }, { type: 'model', response: [thought('Wait', false)] }]);
    expect(responseText([thought('t', true), 'a', 'b'])).toBe('ab');
  });
});
