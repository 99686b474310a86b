/**
 * A real HTTP server that speaks enough of the OpenAI chat-completions API for end-to-end tests of
 * the `openai-compatible` path (models, engine, CLI), scripted per test. No model behind it: each
 * `POST /v1/chat/completions` takes the next scripted reply.
 *
 * ```ts
 * const server = await startScriptedOpenAIServer([
 *   { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: 'x = 2' } }], usage: { prompt_tokens: 50, completion_tokens: 9 } },
 *   { status: 429, headers: { 'retry-after': '1' } },
 *   { text: 'The answer is 4.', usage: { prompt_tokens: 60, completion_tokens: 5, reasoning_tokens: 2 } },
 * ]);
 * // model spec `openai-compatible:any-name` with base URL server.baseUrl (ends with /v1)
 * server.requests; // every chat-completions request, parsed, in arrival order
 * await server.close();
 * ```
 *
 * The script is an array (reply n answers request n) or a function `(request, index) => reply`
 * (may be async). A reply:
 * - `text`, `reasoning` (sent as `reasoning_content`), `toolCalls` (`arguments` as an object, or a
 *   string to send malformed JSON on purpose), `finishReason` (default `tool_calls` when there are
 *   tool calls, else `stop`), `usage` (default: a rough count, 4 characters a token);
 * - `status` >= 400: an OpenAI-style error body (`errorMessage` to choose its text), e.g. 429 or 500;
 * - `headers`: extra response headers (e.g. `retry-after`);
 * - `delayMs`: wait before answering (slow replies, timeouts); `chunkDelayMs`: wait between stream
 *   chunks;
 * - `resetConnection`: destroy the socket instead of answering.
 * Streamed (SSE) or not follows the request's `stream` flag; streams send text in a few pieces,
 * tool-call arguments in pieces, and a final usage chunk when `stream_options.include_usage` is set.
 * `POST /v1/completions` (raw completions, not streamed) takes the next reply too: its `text` is the
 * choice's text, with `finishReason` (default `stop`), `stopReason` (vLLM's `stop_reason`: the stop
 * string matched, null for the end of the text) and `usage` (default: a rough count of the prompt).
 * `GET /v1/models` lists one model and takes no reply. A request after the script ran out (or a
 * script function that throws) gets a 500 whose message says so, so the test fails loudly.
 *
 * The server declares what it is, so that benchmark results made with it are labelled scripted
 * whatever model id a test uses: `"sleeptime_provenance": "scripted"` on its `/v1/models` entry and
 * an `x-sleeptime-provenance: scripted` header on every answer (see model-provenance.ts).
 * `{ declareProvenance: false }` makes it stand in for a server that says nothing about itself.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PROVENANCE_HEADER, PROVENANCE_SERVER_FIELD } from '../models/model-provenance.js';

export interface ScriptedToolCall {
  name: string;
  /** An object is sent as JSON; a string is sent as is (so it may be malformed JSON). */
  arguments: object | string;
  /** Default: `call_<request index>_<tool call index>`. */
  id?: string;
}

export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens?: number;
}

export interface ScriptedReply {
  text?: string;
  /** Sent as `reasoning_content` (the field vLLM, DeepSeek and llama.cpp's server use). */
  reasoning?: string;
  toolCalls?: ScriptedToolCall[];
  usage?: ScriptedUsage;
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter' | (string & {});
  /** >= 400 sends an OpenAI-style error body. */
  status?: number;
  /** The error body's message when `status` >= 400. */
  errorMessage?: string;
  headers?: Record<string, string>;
  /** Wait this long before sending anything. */
  delayMs?: number;
  /** Streams only: wait this long between chunks. */
  chunkDelayMs?: number;
  /** Destroy the socket instead of answering. */
  resetConnection?: boolean;
  /** Raw completions only: vLLM's `stop_reason` (the stop string that ended the text; null for the end of the text). */
  stopReason?: string | null;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  [field: string]: unknown;
}

/** The parsed chat-completions request body; known fields typed, the rest kept. */
export interface ChatCompletionRequestBody {
  model?: string;
  messages?: ChatMessage[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  reasoning_effort?: string;
  /** Raw completions: the prompt text. */
  prompt?: unknown;
  stop?: unknown;
  [field: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; `{}` when there was none or it did not parse (then see `rawBody`). */
  body: ChatCompletionRequestBody;
  rawBody: string;
  stream: boolean;
}

export type ScriptedOpenAIServerScript =
  | ScriptedReply[]
  | ((request: RecordedRequest, index: number) => ScriptedReply | Promise<ScriptedReply>);

export interface ScriptedOpenAIServer {
  /** `http://127.0.0.1:<port>/v1` */
  baseUrl: string;
  /** Every `POST /v1/chat/completions` and `POST /v1/completions`, in arrival order (each took one scripted reply). */
  requests: RecordedRequest[];
  /** Every request, including `GET /v1/models` and unknown paths. */
  allRequests: RecordedRequest[];
  close(): Promise<void>;
}

export interface ScriptedOpenAIServerOptions {
  /** Declare `scripted` in `/v1/models` and a header on every answer (default true). */
  declareProvenance?: boolean;
}

export const SCRIPTED_MODEL_ID = 'scripted-model';

function roughTokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}

function argumentsText(toolCall: ScriptedToolCall): string {
  return typeof toolCall.arguments === 'string' ? toolCall.arguments : JSON.stringify(toolCall.arguments);
}

function usageFor(reply: ScriptedReply, body: ChatCompletionRequestBody) {
  const prompt_tokens =
    reply.usage?.prompt_tokens ?? roughTokenCount(typeof body.prompt === 'string' ? body.prompt : JSON.stringify(body.messages ?? []));
  const completion_tokens =
    reply.usage?.completion_tokens ??
    roughTokenCount((reply.reasoning ?? '') + (reply.text ?? '') + (reply.toolCalls ?? []).map(argumentsText).join(''));
  const reasoning_tokens = reply.usage?.reasoning_tokens;
  return {
    prompt_tokens,
    completion_tokens,
    total_tokens: prompt_tokens + completion_tokens,
    ...(reasoning_tokens === undefined ? {} : { completion_tokens_details: { reasoning_tokens } }),
  };
}

/** Splits text into about `count` pieces (at least one character each). */
function splitIntoPieces(text: string, count: number): string[] {
  if (text.length === 0) return [];
  const size = Math.max(1, Math.ceil(text.length / count));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseBody(rawBody: string): ChatCompletionRequestBody {
  if (rawBody.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(rawBody);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as ChatCompletionRequestBody) : {};
  } catch {
    return {};
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(response, status, { error: { message, type, param: null, code: type } }, headers);
}

function defaultErrorMessage(status: number): string {
  if (status === 429) return 'Rate limit reached (scripted)';
  if (status === 401) return 'Incorrect API key provided (scripted)';
  if (status >= 500) return `Internal server error ${status} (scripted)`;
  return `Request rejected with status ${status} (scripted)`;
}

export async function startScriptedOpenAIServer(
  script: ScriptedOpenAIServerScript,
  options: ScriptedOpenAIServerOptions = {},
): Promise<ScriptedOpenAIServer> {
  const declareProvenance = options.declareProvenance ?? true;
  const requests: RecordedRequest[] = [];
  const allRequests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let created = Math.floor(Date.now() / 1000);
  let closed = false;
  // Pending delays end early on close() so a slow scripted reply never outlives the test.
  const pendingWaits = new Map<ReturnType<typeof setTimeout>, () => void>();

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pendingWaits.delete(timer);
        resolve();
      }, ms);
      pendingWaits.set(timer, resolve);
    });
  }

  async function nextReply(request: RecordedRequest, index: number): Promise<ScriptedReply | { scriptError: string }> {
    if (typeof script === 'function') {
      try {
        return await script(request, index);
      } catch (error) {
        return { scriptError: `scripted server: the script function threw for request #${index + 1}: ${String(error)}` };
      }
    }
    const reply = script[index];
    if (reply === undefined) {
      return {
        scriptError: `scripted server: no scripted reply left for request #${index + 1} (the script has ${script.length} replies)`,
      };
    }
    return reply;
  }

  function writeNonStreamed(response: ServerResponse, reply: ScriptedReply, body: ChatCompletionRequestBody, index: number) {
    const toolCalls = reply.toolCalls ?? [];
    sendJson(
      response,
      200,
      {
        id: `chatcmpl-scripted-${index}`,
        object: 'chat.completion',
        created: created++,
        model: body.model ?? SCRIPTED_MODEL_ID,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: reply.text ?? null,
              ...(reply.reasoning === undefined ? {} : { reasoning_content: reply.reasoning }),
              ...(toolCalls.length === 0
                ? {}
                : {
                    tool_calls: toolCalls.map((toolCall, toolIndex) => ({
                      id: toolCall.id ?? `call_${index}_${toolIndex}`,
                      type: 'function',
                      function: { name: toolCall.name, arguments: argumentsText(toolCall) },
                    })),
                  }),
            },
            finish_reason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
          },
        ],
        usage: usageFor(reply, body),
      },
      reply.headers,
    );
  }

  function writeCompletion(response: ServerResponse, reply: ScriptedReply, body: ChatCompletionRequestBody, index: number) {
    sendJson(
      response,
      200,
      {
        id: `cmpl-scripted-${index}`,
        object: 'text_completion',
        created: created++,
        model: body.model ?? SCRIPTED_MODEL_ID,
        choices: [{ index: 0, text: reply.text ?? '', logprobs: null, finish_reason: reply.finishReason ?? 'stop', stop_reason: reply.stopReason ?? null }],
        usage: usageFor(reply, body),
      },
      reply.headers,
    );
  }

  async function writeStreamed(response: ServerResponse, reply: ScriptedReply, body: ChatCompletionRequestBody, index: number) {
    const toolCalls = reply.toolCalls ?? [];
    const base = { id: `chatcmpl-scripted-${index}`, object: 'chat.completion.chunk', created: created++, model: body.model ?? SCRIPTED_MODEL_ID };
    const chunks: unknown[] = [{ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }];
    for (const piece of splitIntoPieces(reply.reasoning ?? '', 3)) {
      chunks.push({ ...base, choices: [{ index: 0, delta: { reasoning_content: piece }, finish_reason: null }] });
    }
    for (const piece of splitIntoPieces(reply.text ?? '', 3)) {
      chunks.push({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
    }
    toolCalls.forEach((toolCall, toolIndex) => {
      chunks.push({
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                {
                  index: toolIndex,
                  id: toolCall.id ?? `call_${index}_${toolIndex}`,
                  type: 'function',
                  function: { name: toolCall.name, arguments: '' },
                },
              ],
            },
            finish_reason: null,
          },
        ],
      });
      for (const piece of splitIntoPieces(argumentsText(toolCall), 3)) {
        chunks.push({
          ...base,
          choices: [{ index: 0, delta: { tool_calls: [{ index: toolIndex, function: { arguments: piece } }] }, finish_reason: null }],
        });
      }
    });
    chunks.push({
      ...base,
      choices: [{ index: 0, delta: {}, finish_reason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop') }],
    });
    if (body.stream_options?.include_usage === true) chunks.push({ ...base, choices: [], usage: usageFor(reply, body) });

    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...reply.headers });
    for (const chunk of chunks) {
      if (response.destroyed) return;
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
      if (reply.chunkDelayMs !== undefined && reply.chunkDelayMs > 0) await wait(reply.chunkDelayMs);
    }
    if (!response.destroyed) response.end('data: [DONE]\n\n');
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Whatever model id a test asks for, the answers say they are scripted.
    if (declareProvenance) response.setHeader(PROVENANCE_HEADER, 'scripted');
    const rawBody = await readBody(request);
    const body = parseBody(rawBody);
    const path = request.url ?? '/';
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path,
      headers: request.headers,
      body,
      rawBody,
      stream: body.stream === true,
    };
    allRequests.push(recorded);
    const pathname = path.split('?')[0];

    if (request.method === 'GET' && pathname === '/v1/models') {
      const entry = { id: SCRIPTED_MODEL_ID, object: 'model', created: 0, owned_by: 'sleeptime-tests', ...(declareProvenance ? { [PROVENANCE_SERVER_FIELD]: 'scripted' } : {}) };
      sendJson(response, 200, { object: 'list', data: [entry] });
      return;
    }
    const rawCompletion = pathname === '/v1/completions';
    if (request.method !== 'POST' || (pathname !== '/v1/chat/completions' && !rawCompletion)) {
      sendError(response, 404, `scripted server: no route for ${request.method ?? '?'} ${path} (it serves POST /v1/chat/completions, POST /v1/completions and GET /v1/models)`);
      return;
    }
    if (rawCompletion && recorded.stream) {
      sendError(response, 400, 'scripted server: raw completions are served whole, not streamed');
      return;
    }

    const index = requests.length;
    requests.push(recorded);
    const reply = await nextReply(recorded, index);
    if ('scriptError' in reply) {
      sendError(response, 500, reply.scriptError);
      return;
    }
    if (reply.delayMs !== undefined && reply.delayMs > 0) {
      await wait(reply.delayMs);
      if (response.destroyed || request.socket.destroyed) return;
    }
    if (reply.resetConnection === true) {
      request.socket.destroy();
      return;
    }
    if (reply.status !== undefined && reply.status >= 400) {
      sendError(response, reply.status, reply.errorMessage ?? defaultErrorMessage(reply.status), reply.headers);
      return;
    }
    if (rawCompletion) writeCompletion(response, reply, body, index);
    else if (recorded.stream) await writeStreamed(response, reply, body, index);
    else writeNonStreamed(response, reply, body, index);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) sendError(response, 500, `scripted server: ${String(error)}`);
      else response.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    allRequests,
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve, reject) => {
        // Slow replies and keep-alive connections would otherwise hold close() open.
        for (const [timer, release] of pendingWaits) {
          clearTimeout(timer);
          release();
        }
        pendingWaits.clear();
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}

/** Whether a recorded request is the one-token prefix warm-up a sleep sends after publishing. */
export function isPrefixWarmUp(request: RecordedRequest): boolean {
  const last = request.body.messages?.at(-1);
  return request.body.max_tokens === 1 && request.body.tools === undefined && last?.role === 'user' && (last.content === '' || JSON.stringify(last.content) === '[{"type":"text","text":""}]');
}
