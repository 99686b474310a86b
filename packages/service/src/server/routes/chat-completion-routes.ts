/**
 * `POST /v1/chat/completions`: an OpenAI-compatible front for the configured model, with the learned
 * context of a named context put before the caller's messages (the engine's chat). This route only
 * translates: OpenAI's request to the engine's chat request, the engine's result (or its stream) to
 * OpenAI's completion (or chunks). The upstream may be any provider sleeptime supports.
 * Function tools go through too: their definitions reach the model, and the model's tool calls come
 * back to the caller as `tool_calls` (the proxy never runs a tool); the caller sends the results
 * back as `tool` messages in its next request, as with OpenAI.
 * A completion counts as an ask: toward every-N-asks sleeps, and under the stale-ask policy (the
 * server's, or the request's `x-sleeptime-stale-policy` header / `sleeptime_stale_policy` field).
 */
import { randomUUID } from 'node:crypto';
import { SleeptimeError, errorMessage, upstreamError, type ChatRequest } from '@sleeptime/core';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { applyStaleAskPolicy, parseStaleAskPolicy } from '../../jobs/stale-ask.js';
import { ApiError } from '../api-errors.js';
import { chatCompletionBody, contextIdParameter, staleAskPolicyText } from '../api-schemas.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import { toChatMessages } from '../openai/openai-messages.js';
import { chatCompletion, chatCompletionChunk, openAiFinishReason, usageChunk, type CompletionIdentity } from '../openai/openai-responses.js';
import { toToolSettings } from '../openai/openai-tools.js';
import { readJsonBody, validate } from '../request-validation.js';
import type { RouteDependencies } from './route-support.js';
import { wireErrorMessage } from '../wire-message.js';

export const contextHeader = 'x-sleeptime-context';
/** Request: overrides the server's stale-ask policy (`serve-stale`, `without`, `wait:<ms>`). Response: the policy applied. */
export const stalePolicyHeader = 'x-sleeptime-stale-policy';
/**
 * Response: the learned context put before the messages: `fresh`, `stale` (made from an older
 * context version), `none` (there is none yet), or `stale-omitted` (stale, and left out by the
 * `without` policy).
 */
export const learnedHeader = 'x-sleeptime-learned';

function learnedState(omitted: boolean, fresh: boolean | null): string {
  if (omitted) return 'stale-omitted';
  return fresh === null ? 'none' : fresh ? 'fresh' : 'stale';
}

export function chatCompletionRoutes({ engine, jobs, staleAsk, now }: RouteDependencies): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();

  routes.post('/chat/completions', async (context) => {
    const scope = context.get('scope');
    const body = await readJsonBody(context, chatCompletionBody);
    const contextName = context.req.header(contextHeader) ?? body.sleeptime_context;
    if (contextName === undefined) {
      throw new ApiError(400, 'missing_sleeptime_context', `Name the sleeptime context with the "${contextHeader}" header or the "sleeptime_context" body field`);
    }
    if (!contextIdParameter.safeParse(contextName).success) throw new ApiError(400, 'invalid_context_id', `Invalid context id "${contextName}"`);
    // Checked before anything is read or counted: a malformed conversation or tool list is a 400.
    const messages = toChatMessages(body.messages);
    const toolSettings = toToolSettings(body);
    const policyHeader = context.req.header(stalePolicyHeader);
    const policyText = policyHeader === undefined ? body.sleeptime_stale_policy : validate(staleAskPolicyText, policyHeader, `headers.${stalePolicyHeader}`);
    const policy = (policyText === undefined ? undefined : parseStaleAskPolicy(policyText)) ?? staleAsk;
    const id = scope.storedId(contextName);
    // As for an ask: a stale learned context is served flagged, waited for, or left out.
    const omitted = (await applyStaleAskPolicy({ engine, triggers: jobs, contextId: id, policy, signal: context.req.raw.signal })) === 'without';

    const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
    const stop = body.stop === null || body.stop === undefined ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop;
    const request: ChatRequest = {
      messages,
      ...toolSettings,
      parallelToolCalls: body.parallel_tool_calls ?? undefined,
      maxOutputTokens: maxTokens,
      effort: body.reasoning_effort ?? undefined,
      temperature: body.temperature ?? undefined,
      topP: body.top_p ?? undefined,
      seed: body.seed ?? undefined,
      stopSequences: stop,
      useLearned: !omitted,
      runSettings: { via: 'chat-completions', requestedModel: body.model, stream: body.stream === true },
    };
    const identity: CompletionIdentity = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(now() / 1000), model: body.model };
    context.header(stalePolicyHeader, policy.mode);

    if (body.stream !== true) {
      const result = await engine.chat(id, { ...request, signal: context.req.raw.signal });
      await jobs.afterAsk(id);
      context.header('x-sleeptime-run-id', result.runId);
      context.header(learnedHeader, learnedState(omitted, result.fresh));
      return context.json(chatCompletion(identity, result));
    }

    const abort = new AbortController();
    const chatting = await engine.streamChat(id, { ...request, signal: abort.signal });
    await jobs.afterAsk(id);
    context.header('x-sleeptime-run-id', chatting.runId);
    context.header(learnedHeader, learnedState(omitted, chatting.fresh));
    const includeUsage = body.stream_options?.include_usage === true;
    return streamSSE(context, async (stream) => {
      const send = (data: unknown) => stream.writeSSE({ data: JSON.stringify(data) });
      stream.onAbort(() => abort.abort());
      try {
        await send(chatCompletionChunk(identity, { role: 'assistant', content: '' }, null));
        for await (const event of chatting.events) {
          if (event.type === 'text-delta') await send(chatCompletionChunk(identity, { content: event.text }, null));
          else if (event.type === 'tool-call-start') {
            // The first delta of a call carries its id, type and name; its arguments follow in pieces.
            await send(chatCompletionChunk(identity, { tool_calls: [{ index: event.index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }] }, null));
          } else if (event.type === 'tool-call-delta') {
            await send(chatCompletionChunk(identity, { tool_calls: [{ index: event.index, function: { arguments: event.argumentsDelta } }] }, null));
          } else {
            await send(chatCompletionChunk(identity, {}, openAiFinishReason(event.result.finishReason)));
            if (includeUsage) await send(usageChunk(identity, event.result.usage));
          }
        }
        await stream.writeSSE({ data: '[DONE]' });
      } catch (thrown) {
        const failure = SleeptimeError.isInstance(thrown) ? thrown : upstreamError('chat_completion_failed', `The upstream model failed: ${errorMessage(thrown)}`, { cause: thrown });
        // Headers are sent: the error travels in the stream, as OpenAI does, and the openai client throws it.
        await send({ error: { code: failure.code, message: wireErrorMessage(failure, scope), type: 'server_error' } });
      }
    });
  });

  return routes;
}
