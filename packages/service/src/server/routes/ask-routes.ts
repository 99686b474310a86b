/**
 * `POST /v1/contexts/:id/ask`: the engine's ask (or its streamed form as server-sent events:
 * `delta` events with text, then `done`, or `error`), after the stale-ask policy. Everything that
 * can be refused is checked before the first byte, so a refusal is a plain JSON 4xx.
 */
import { SleeptimeError, errorMessage, systemError, type AskOptions, type AskResult } from '@sleeptime/core';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { applyStaleAskPolicy, type StaleAskPolicy } from '../../jobs/stale-ask.js';
import { askBody } from '../api-schemas.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import { readJsonBody } from '../request-validation.js';
import { wireErrorMessage } from '../wire-message.js';
import { contextIdFrom, type RouteDependencies } from './route-support.js';

/** An answer on the wire: the same fields whether it was streamed (the `done` event) or not. */
function answerJson(result: AskResult, contextId: string) {
  return {
    runId: result.runId,
    contextId,
    answer: result.answer,
    final: result.final,
    fresh: result.fresh,
    contextVersion: result.contextVersion,
    learnedSourceVersion: result.learnedSourceVersion,
    usage: result.usage,
    latencyMs: result.latencyMs,
    finishReason: result.finishReason,
    // A limit cut the answer short: the client must not take it for a finished answer.
    truncated: result.truncated,
    truncatedBy: result.truncatedBy,
  };
}

export function askRoutes({ engine, jobs, staleAsk }: RouteDependencies): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();

  routes.post('/contexts/:id/ask', async (context) => {
    const contextId = contextIdFrom(context);
    const id = context.get('scope').storedId(contextId);
    const { question, maxTokens, stream, stalePolicy, staleWaitMs, ...budget } = await readJsonBody(context, askBody);
    const policy: StaleAskPolicy =
      stalePolicy === undefined
        ? staleAsk
        : stalePolicy === 'wait'
          ? { mode: 'wait', waitMs: staleWaitMs ?? (staleAsk.mode === 'wait' ? staleAsk.waitMs : 2000) }
          : { mode: stalePolicy };
    const signal = context.req.raw.signal;
    const without = budget.useLearned !== false && (await applyStaleAskPolicy({ engine, triggers: jobs, contextId: id, policy, signal })) === 'without';
    const options: AskOptions = { ...budget, ...(without ? { useLearned: false } : {}), ...(maxTokens === undefined ? {} : { maxOutputTokens: maxTokens }) };

    if (stream !== true) {
      const result = await engine.ask(id, question, { ...options, signal });
      await jobs.afterAsk(id);
      return context.json({ ...answerJson(result, contextId), stalePolicy: policy.mode });
    }

    const abort = new AbortController();
    const asking = await engine.streamAsk(id, question, { ...options, signal: abort.signal });
    await jobs.afterAsk(id);
    return streamSSE(context, async (sse) => {
      sse.onAbort(() => abort.abort());
      try {
        for await (const event of asking.events) {
          if (event.type === 'text-delta') await sse.writeSSE({ event: 'delta', data: JSON.stringify({ text: event.text }) });
          else if (event.type === 'finish') await sse.writeSSE({ event: 'done', data: JSON.stringify(answerJson(event.result, contextId)) });
        }
      } catch (thrown) {
        // Headers are sent: the error travels as an event.
        const error = SleeptimeError.isInstance(thrown) ? thrown : systemError('ask_failed', errorMessage(thrown), thrown);
        await sse.writeSSE({ event: 'error', data: JSON.stringify({ runId: asking.runId, code: error.code, message: wireErrorMessage(error, context.get('scope')) }) });
      }
    });
  });

  return routes;
}
