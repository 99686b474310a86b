import { describe, expect, it } from 'vitest';
import { promptToChatHistory } from './prompt-to-chat-history.js';

describe('promptToChatHistory', () => {
  it('maps system, user and assistant messages to chat history items', () => {
    const { history, warnings } = promptToChatHistory([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: 'again' }] },
      { role: 'assistant', content: [{ type: 'reasoning', text: 'hm' }, { type: 'text', text: 'Hi.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Bye' }] },
    ]);
    expect(history).toEqual([
      { type: 'system', text: 'Be brief.' },
      { type: 'user', text: 'Hello\nagain' },
      { type: 'model', response: [{ type: 'segment', segmentType: 'thought', text: 'hm', ended: true }, 'Hi.'] },
      { type: 'user', text: 'Bye' },
    ]);
    expect(warnings).toEqual([]);
  });

  it('attaches each tool result to its call and keeps one model turn across tool steps', () => {
    const { history } = promptToChatHistory([
      { role: 'user', content: [{ type: 'text', text: 'Go' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Calling.' },
          { type: 'tool-call', toolCallId: 'a', toolName: 'search', input: { query: 'x' } },
          { type: 'tool-call', toolCallId: 'b', toolName: 'fail', input: {} },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'b', toolName: 'fail', output: { type: 'error-text', value: 'boom' } },
          { type: 'tool-result', toolCallId: 'a', toolName: 'search', output: { type: 'json', value: { hits: 2 } } },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c', toolName: 'finish', input: {} }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c', toolName: 'finish', output: { type: 'text', value: 'ok' } }] },
    ]);
    expect(history).toEqual([
      { type: 'user', text: 'Go' },
      {
        type: 'model',
        response: [
          'Calling.',
          { type: 'functionCall', name: 'search', params: { query: 'x' }, result: { hits: 2 } },
          { type: 'functionCall', name: 'fail', params: {}, result: { error: 'boom' } },
          { type: 'functionCall', name: 'finish', params: {}, result: 'ok' },
        ],
      },
    ]);
  });

  it('inlines text files and warns once about other files', () => {
    const { history, warnings } = promptToChatHistory([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Read:' },
          { type: 'file', mediaType: 'text/plain', data: new TextEncoder().encode('file body') },
          { type: 'file', mediaType: 'text/markdown', data: Buffer.from('# title').toString('base64') },
          { type: 'file', mediaType: 'image/png', data: new Uint8Array([1, 2]) },
          { type: 'file', mediaType: 'image/jpeg', data: new Uint8Array([3]) },
        ],
      },
    ]);
    expect(history).toEqual([{ type: 'user', text: 'Read:\nfile body\n# title' }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'unsupported', feature: 'file parts' });
  });

  it('describes denied calls and multi-part tool output in the result', () => {
    const { history } = promptToChatHistory([
      { role: 'user', content: [{ type: 'text', text: 'x' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool-call', toolCallId: 'a', toolName: 'delete', input: {} },
          { type: 'tool-call', toolCallId: 'b', toolName: 'read', input: {} },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'a', toolName: 'delete', output: { type: 'execution-denied', reason: 'not allowed' } },
          {
            type: 'tool-result',
            toolCallId: 'b',
            toolName: 'read',
            output: { type: 'content', value: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
          },
        ],
      },
    ]);
    const response = history[1]?.type === 'model' ? history[1].response : [];
    expect(response).toEqual([
      expect.objectContaining({ name: 'delete', result: { error: 'The tool call was denied: not allowed' } }),
      expect.objectContaining({ name: 'read', result: 'one\ntwo' }),
    ]);
  });
});
