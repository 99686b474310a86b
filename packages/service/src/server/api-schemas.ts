/**
 * The zod schemas the API validates with. They are also the source of `GET /openapi.json`, so the
 * document cannot drift from what the routes accept.
 */
import { appendContentSchema, askBudgetSchema, contextContentSchema, effortSchema, learnedDiffOptionsSchema, sleepBudgetSchema, wellFormedText } from '@sleeptime/core';
import { z } from 'zod';
import { parseStaleAskPolicy } from '../jobs/stale-ask.js';

/** The engine allows 128 characters; the tenant prefix (`t` + 16 hex + '.') takes 18 of them. */
export const externalContextIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,109}$/;

export const contextIdParameter = z.string().regex(externalContextIdPattern);

export const putContextBody = z.strictObject(contextContentSchema.shape);

export const appendContextBody = z.strictObject(appendContentSchema.shape);

export const listContextsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  /** Only contexts whose id contains this text, ignoring case. */
  search: z.string().max(110).optional(),
});

/** `t` of the paper's cost model: a test-time token costs `t` sleep-time tokens. */
const testTokenWeight = z.coerce.number().min(0).max(1000).default(10);

export const contextSavingsQuery = z.strictObject({ testTokenWeight });

export const savingsQuery = z.strictObject({
  testTokenWeight,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const jobsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

/** The event stream takes no parameters. */
export const eventsQuery = z.strictObject({});

/** The sleep options of the engine, as a body (a queued sleep job carries them). */
export const sleepBody = z.strictObject(sleepBudgetSchema.shape);

/** The engine's ask budget, plus what the HTTP ask adds: the question, streaming and the stale-ask policy. */
export const askBody = z.strictObject({
  ...askBudgetSchema.omit({ maxOutputTokens: true }).shape,
  // Stored with the run and sent upstream as UTF-8, where a lone surrogate would be replaced.
  question: wellFormedText('question', z.string().refine((text) => text.trim() !== '', { message: 'question must not be empty' })),
  /** The engine's `maxOutputTokens`. */
  maxTokens: askBudgetSchema.shape.maxOutputTokens,
  /** Server-sent events: `delta` events with text, then one `done` event (or `error`). */
  stream: z.boolean().optional(),
  /** When the learned context is stale: serve it flagged, wait for a fresh one, or answer without it. Default: the server's policy. */
  stalePolicy: z.enum(['serve-stale', 'wait', 'without']).optional(),
  /** With `stalePolicy: wait`: how long to wait for a fresh learned context. */
  staleWaitMs: z.number().int().min(0).max(60_000).optional(),
});

export const runsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** The engine's learned-diff options, from the query string. */
export const learnedDiffQuery = z.strictObject({
  from: z.coerce.number().pipe(learnedDiffOptionsSchema.shape.from.unwrap()).optional(),
  to: z.coerce.number().pipe(learnedDiffOptionsSchema.shape.to.unwrap()).optional(),
});

const positiveInteger = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Message text goes upstream as UTF-8 and is stored with the run, where a lone surrogate would be replaced. */
const messageText = wellFormedText('message content', z.string());
const textPart = z.object({ type: z.literal('text'), text: messageText });
const messageContent = z.union([messageText, z.array(textPart)]);

/** OpenAI's rule for function names (1 to 64 letters, digits, underscores, dashes). */
const toolName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be 1 to 64 letters, digits, underscores or dashes' });
/** OpenAI's limit on the number of tools of a request. */
export const maxChatTools = 128;

/** A tool call the model made, as an assistant message carries it back; `arguments` is JSON text. */
const chatToolCall = z.object({
  id: z.string().min(1).max(256),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1).max(256), arguments: z.string() }),
});

export const chatMessage = z.discriminatedUnion('role', [
  z.object({
    role: z.enum(['system', 'developer', 'user']),
    content: messageContent.nullable().optional(),
    name: z.string().optional(),
  }),
  z.object({
    role: z.literal('assistant'),
    /** Null (or absent) when the message is only tool calls. */
    content: messageContent.nullable().optional(),
    name: z.string().optional(),
    tool_calls: z.array(chatToolCall).max(maxChatTools).nullable().optional(),
  }),
  /** The result of a tool call, answering the assistant's call with that id. */
  z.object({
    role: z.literal('tool'),
    tool_call_id: z.string().min(1).max(256),
    content: messageContent,
  }),
]);

/** A function the model may call; the caller runs it (the proxy never does) and sends the result back. */
export const chatTool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: toolName,
    description: z.string().optional(),
    /** A JSON Schema of the arguments object; none means no arguments. */
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

export const chatToolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: toolName }) }),
], { error: "must be auto, none, required or {type: 'function', function: {name}}" });

/** A stale-ask policy as text (`serve-stale`, `without`, `wait:<ms>`), waiting at most a minute, as an ask's `staleWaitMs`. */
export const staleAskPolicyText = z.string().refine(
  (text) => {
    const policy = parseStaleAskPolicy(text);
    return policy !== undefined && (policy.mode !== 'wait' || policy.waitMs <= 60_000);
  },
  { message: 'must be serve-stale, without or wait:<ms> (ms up to 60000)' },
);

/** The subset of OpenAI chat completions the proxy forwards; unknown fields are ignored, as OpenAI SDKs add new ones. */
export const chatCompletionBody = z.looseObject({
  model: z.string(),
  messages: z.array(chatMessage).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: positiveInteger.nullable().optional(),
  max_completion_tokens: positiveInteger.nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  reasoning_effort: effortSchema.nullable().optional(),
  /** The sleeptime context whose learned context is injected; or the header `x-sleeptime-context`. */
  sleeptime_context: contextIdParameter.optional(),
  /** When the learned context is stale: `serve-stale`, `without` or `wait:<ms>`; or the header `x-sleeptime-stale-policy`. Default: the server's policy. */
  sleeptime_stale_policy: staleAskPolicyText.optional(),
  /** Function tools: the model's calls come back to the caller (`tool_calls`), who runs them. */
  tools: z.array(chatTool).max(maxChatTools).nullable().optional(),
  /** `auto` (default with tools), `none`, `required`, or `{type: 'function', function: {name}}` naming one of `tools`. */
  tool_choice: chatToolChoice.nullable().optional(),
  /** Passed to providers that have the switch (OpenAI, OpenAI-compatible servers, Anthropic); the embedded llama model has none. */
  parallel_tool_calls: z.boolean().nullable().optional(),
  n: z.literal(1).nullable().optional(),
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;
