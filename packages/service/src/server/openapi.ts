/**
 * `GET /openapi.json`: the routes listed here by hand, their bodies and queries converted from the
 * zod schemas the routes validate with (so those cannot drift). A test checks that every route the
 * app serves is listed.
 */
import { z } from 'zod';
import {
  appendContextBody,
  askBody,
  chatCompletionBody,
  contextSavingsQuery,
  eventsQuery,
  jobsQuery,
  learnedDiffQuery,
  listContextsQuery,
  putContextBody,
  runsQuery,
  savingsQuery,
  sleepBody,
} from './api-schemas.js';

interface RouteDescription {
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  responses: Record<string, string>;
  /** Public routes take no API key. */
  public?: boolean;
}

const errors = { '400': 'Invalid input ({error: {code, message}})', '401': 'Missing or invalid API key', '404': 'Not found (or another tenant\'s)', '429': 'Over the API key\'s request rate (rate_limited; see Retry-After)' };
const tooLarge = {
  '403': "Over the tenant's quota: contexts (tenant_context_limit) or bytes in all (tenant_storage_limit)",
  '413': 'The context would pass its size limit (context_too_large), or the body its own (body_too_large)',
};

export const routeDescriptions: RouteDescription[] = [
  { method: 'get', path: '/health', summary: 'Liveness', responses: { '200': 'The process is up' }, public: true },
  { method: 'get', path: '/ready', summary: 'Readiness: the store answers', responses: { '200': 'Ready', '503': 'Store unreachable' }, public: true },
  { method: 'get', path: '/openapi.json', summary: 'This document', responses: { '200': 'OpenAPI 3.1 document' }, public: true },
  { method: 'get', path: '/', summary: 'Sends a browser to the dashboard', responses: { '302': 'To /ui' }, public: true },
  { method: 'get', path: '/ui', summary: 'The web dashboard (signs in with an API key, then uses this API)', responses: { '200': 'HTML' }, public: true },
  { method: 'get', path: '/ui/assets/{file}', summary: "The dashboard's scripts and styles", responses: { '200': 'JavaScript or CSS', '404': 'No such asset (asset_not_found)' }, public: true },
  {
    method: 'get',
    path: '/v1/contexts',
    summary: 'List contexts, in id order, with cursor paging; `search`: only ids containing the text (ignoring case)',
    query: listContextsQuery,
    responses: { '200': '{data: [{id, version, characters, metadata, updatedAt, learned: {versions, sourceVersion, fresh, createdAt} | null, lastSleep: {status, startedAt} | null, asks}], nextCursor}', ...errors },
  },
  { method: 'put', path: '/v1/contexts/{id}', summary: 'Create or replace a context (bumps its version)', body: putContextBody, responses: { '200': 'Replaced', '201': 'Created', ...errors, ...tooLarge } },
  { method: 'get', path: '/v1/contexts/{id}', summary: 'Read a context', responses: { '200': 'The context', ...errors } },
  { method: 'delete', path: '/v1/contexts/{id}', summary: 'Delete a context with its learned contexts and runs', responses: { '204': 'Deleted', ...errors } },
  { method: 'post', path: '/v1/contexts/{id}/append', summary: 'Append text (conversation turns, logs); creates the context if new; bumps the version', body: appendContextBody, responses: { '200': 'Appended', '201': 'Created', ...errors, ...tooLarge } },
  { method: 'get', path: '/v1/contexts/{id}/learned', summary: 'The latest learned context, with its freshness', responses: { '200': 'The learned context', ...errors } },
  { method: 'get', path: '/v1/contexts/{id}/learned/history', summary: 'Every learned context version, oldest first', responses: { '200': '{data}', ...errors } },
  { method: 'get', path: '/v1/contexts/{id}/learned/diff', summary: 'Line diff between two learned context versions (default: the two latest)', query: learnedDiffQuery, responses: { '200': '{from, to, added, removed, hunks}', ...errors } },
  { method: 'post', path: '/v1/contexts/{id}/sleep', summary: 'Queue a sleep run as a durable job (coalesced with a pending one for the context)', body: sleepBody, responses: { '202': 'The run to be, status queued, with its id and jobId; Location: /v1/runs/{runId}', ...errors, '429': "Over the API key's request rate (rate_limited), or the tenant has spent its sleep-time tokens of the UTC day (sleep_token_limit, with details {limit, tokens, day, resetsAt}); see Retry-After" } },
  { method: 'get', path: '/v1/jobs/{jobId}', summary: 'A sleep job: status, attempts, next due time, latest run, last error', responses: { '200': 'The job', ...errors } },
  { method: 'get', path: '/v1/contexts/{id}/runs', summary: 'Runs of a context, newest first', query: runsQuery, responses: { '200': '{data}', ...errors } },
  { method: 'get', path: '/v1/contexts/{id}/jobs', summary: "A context's sleep jobs, newest first (status, attempts, next due time, run, last error)", query: jobsQuery, responses: { '200': '{data}', ...errors } },
  {
    method: 'get',
    path: '/v1/contexts/{id}/savings',
    summary:
      'What the learned context saved: answered asks with it against test-time-only ones (mean generated and input tokens, latency, time to first token), ' +
      "and the paper's amortized cost per question, sleep/N + t * test, with t = testTokenWeight (default 10)",
    query: contextSavingsQuery,
    responses: { '200': '{contextId, testTokenWeight, sleep, withLearned, baseline, comparable, outputTokensSaved, latencyMsSaved, costPerQuestion}', ...errors },
  },
  {
    method: 'get',
    path: '/v1/savings',
    summary: "The same over the tenant's contexts: overall (pooled over the contexts with both kinds of asks) and a page of per-context entries",
    query: savingsQuery,
    responses: { '200': '{testTokenWeight, overall, data, nextCursor}', ...errors },
  },
  {
    method: 'get',
    path: '/v1/events',
    summary:
      "Server-sent events of the tenant's activity: `ready`, then `run` (a run as GET /v1/runs/{runId} shows it, when it starts and ends) and `job` " +
      '(a sleep job as GET /v1/jobs/{jobId} shows it, when its state changes). Needs Accept: text/event-stream; a few open streams per API key',
    query: eventsQuery,
    responses: {
      '200': 'text/event-stream',
      '406': 'Not asked for as text/event-stream (event_stream_required)',
      ...errors,
      '429': "Too many open event streams for this API key (too_many_event_streams), or over the key's request rate (rate_limited)",
    },
  },
  { method: 'get', path: '/v1/runs/{runId}', summary: 'A run with status, usage, timings, error and model calls (status queued while its job waits)', responses: { '200': 'The run', ...errors } },
  { method: 'post', path: '/v1/contexts/{id}/ask', summary: 'Answer a question from the learned context; `stream: true` sends SSE events delta, then done (or error)', body: askBody, responses: { '200': 'Answer with final, fresh, usage, finishReason and truncated (or text/event-stream)', '502': 'The model provider failed', ...errors } },
  {
    method: 'post',
    path: '/v1/chat/completions',
    summary:
      'OpenAI-compatible chat completions with the learned context of the context named by the x-sleeptime-context header or sleeptime_context. ' +
      'Counts as an ask: toward every-N-asks sleeps, and under the stale-ask policy (the server\'s, or the x-sleeptime-stale-policy header / ' +
      'sleeptime_stale_policy field: serve-stale, without, wait:<ms>). Function tools (tools, tool_choice, parallel_tool_calls) are forwarded to the ' +
      'model and its calls returned as tool_calls (finish_reason tool_calls, streamed as tool_calls deltas); the proxy runs no tool, the caller ' +
      'sends the results back as tool messages',
    body: chatCompletionBody,
    responses: {
      '200':
        'chat.completion (or chat.completion.chunk stream); headers x-sleeptime-run-id, x-sleeptime-learned (fresh, stale, none, or stale-omitted ' +
        'when the without policy left a stale one out) and x-sleeptime-stale-policy (the policy applied)',
      '502': 'The model provider failed',
      ...errors,
    },
  },
  {
    method: 'get',
    path: '/v1/models',
    summary: 'OpenAI-compatible model list: the configured model (a local file by its file name) and the alias `sleeptime`; a completion may name either',
    responses: { '200': 'list of model objects (id, object, created, owned_by)', ...errors },
  },
  {
    method: 'get',
    path: '/v1/usage',
    summary: "The tenant's usage against its limits: sleep-time tokens (input + output of its sleep runs' model calls) of the current UTC day",
    responses: { '200': '{sleepTokens: {day, tokens, limit (null: none), remaining (null: no limit), resetsAt}}', ...errors },
  },
  { method: 'get', path: '/v1/models/{model}', summary: 'One listed model', responses: { '200': 'model object', ...errors, '404': 'Not a listed model' } },
];

function pathParameters(path: string) {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
}

function queryParameters(query: z.ZodObject | undefined) {
  if (query === undefined) return [];
  return Object.entries(query.shape).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema: z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }),
  }));
}

export function buildOpenApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routeDescriptions) {
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      summary: route.summary,
      ...(route.public === true ? { security: [] } : {}),
      parameters: [...pathParameters(route.path), ...queryParameters(route.query)],
      ...(route.body === undefined
        ? {}
        : { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) } } } }),
      responses: Object.fromEntries(Object.entries(route.responses).map(([status, description]) => [status, { description }])),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'sleeptime', version: '0.1.0', description: 'Sleep-time compute as a service: contexts, learned contexts, sleep runs, asks, and an OpenAI-compatible proxy.' },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    security: [{ apiKey: [] }],
    paths,
  };
}
