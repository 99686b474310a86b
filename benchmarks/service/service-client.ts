/** The benchmark's HTTP client of the service: plain fetch (keep-alive), as any application would call it. */
import { contextHeader } from '@sleeptime/service';
import { requireLoopback } from './bench-service.js';

export interface ServiceClient {
  put(contextId: string, text: string): Promise<void>;
  append(contextId: string, text: string): Promise<void>;
  /** Asks for a sleep now and waits until its run has finished; returns the run's status. */
  sleepAndWait(contextId: string, timeoutMs?: number): Promise<string>;
  learnedText(contextId: string): Promise<string>;
  /** `POST /v1/contexts/:id/ask`, non-streaming; resolves once the whole body is read. */
  ask(contextId: string, question: string): Promise<{ answer: string; fresh: boolean | null }>;
  /** `POST /v1/chat/completions` with the context named in the header; resolves once the whole body is read. */
  chatCompletion(contextId: string, question: string): Promise<string>;
}

async function expectOk(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${text.slice(0, 500)}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

export function createServiceClient(baseUrl: string, apiKey: string): ServiceClient {
  const root = requireLoopback(baseUrl);
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const post = (path: string, body: unknown, extraHeaders: Record<string, string> = {}) =>
    fetch(`${root}${path}`, { method: 'POST', headers: { ...headers, ...extraHeaders }, body: JSON.stringify(body) });
  const get = (path: string) => fetch(`${root}${path}`, { headers });

  return {
    async put(contextId, text) {
      await expectOk(await fetch(`${root}/v1/contexts/${contextId}`, { method: 'PUT', headers, body: JSON.stringify({ text }) }), 'PUT context');
    },
    async append(contextId, text) {
      await expectOk(await post(`/v1/contexts/${contextId}/append`, { text }), 'append');
    },
    async sleepAndWait(contextId, timeoutMs = 15_000) {
      const queued = (await expectOk(await post(`/v1/contexts/${contextId}/sleep`, {}), 'sleep')) as { id: string };
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = (await expectOk(await get(`/v1/runs/${queued.id}`), 'GET run')) as { status: string };
        if (run.status === 'succeeded' || run.status === 'failed') return run.status;
        if (Date.now() > deadline) throw new Error(`sleep run ${queued.id} still ${run.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async learnedText(contextId) {
      return ((await expectOk(await get(`/v1/contexts/${contextId}/learned`), 'GET learned')) as { text: string }).text;
    },
    async ask(contextId, question) {
      return (await expectOk(await post(`/v1/contexts/${contextId}/ask`, { question, verbosity: 0 }), 'ask')) as { answer: string; fresh: boolean | null };
    },
    async chatCompletion(contextId, question) {
      const completion = (await expectOk(
        await post('/v1/chat/completions', { model: 'bench-upstream', messages: [{ role: 'user', content: question }] }, { [contextHeader]: contextId }),
        'chat completion',
      )) as { choices: { message: { content: string } }[] };
      return completion.choices[0]?.message.content ?? '';
    },
  };
}
