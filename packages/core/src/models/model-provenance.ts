/**
 * Where a model's outputs come from: real weights, a scripted test double, or random weights.
 * Benchmark results record it per row, and the report labels every figure with it. It is recorded
 * from what sleeptime knows (a marker in the GGUF file, what the server says about itself, the
 * provider, or the user's own statement), never guessed from a model's name or path.
 *
 * The markers sleeptime's own test tools carry:
 * - GGUF files: the metadata key `sleeptime.provenance` (`random-weights` from the GGUF writer of
 *   `@sleeptime/llama/testing`). A file without it is taken to hold real weights.
 * - OpenAI-compatible servers: `sleeptime_provenance` on the model's entry of `GET /v1/models`, or
 *   the `x-sleeptime-provenance` header of that answer (the scripted server of
 *   `@sleeptime/core/testing` sends both). A server that answers without either is taken to serve
 *   a real model (vLLM, llama.cpp's server); one that cannot be asked is `unknown`.
 */
import { z } from 'zod';

export const MODEL_PROVENANCE_KINDS = ['real', 'scripted', 'random-weights', 'unknown'] as const;

/** What a user may state (`unknown` is what sleeptime records when nothing tells it). */
export const STATED_PROVENANCE_KINDS = ['real', 'scripted', 'random-weights'] as const;

export const modelProvenanceKindSchema = z.enum(MODEL_PROVENANCE_KINDS);

export const modelProvenanceSchema = z.object({
  /**
   * `real`: a trained model; `scripted`: replies written by a test (mock models, the scripted
   * server); `random-weights`: a model file with untrained weights; `unknown`: nothing said.
   */
  kind: modelProvenanceKindSchema.describe('real, scripted, random-weights or unknown'),
  /**
   * How it is known: `stated` by the user; the `model-file`'s metadata; what the `server` said about
   * itself; the `provider` (hosted providers serve real models); the `model` object itself (test
   * doubles declare it in code); `none`: nothing could tell.
   */
  source: z.enum(['stated', 'model-file', 'server', 'provider', 'model', 'none']),
  /** One line on the evidence, e.g. `sleeptime.provenance = random-weights`. */
  detail: z.string().optional(),
});

export type ModelProvenanceKind = z.infer<typeof modelProvenanceKindSchema>;
export type StatedProvenanceKind = (typeof STATED_PROVENANCE_KINDS)[number];
export type ModelProvenance = z.infer<typeof modelProvenanceSchema>;

/** The GGUF metadata key of the marker (node-llama-cpp reads it as `metadata.sleeptime.provenance`). */
export const PROVENANCE_GGUF_KEY = 'sleeptime.provenance';
/** The field on a model's entry of `GET /v1/models`. */
export const PROVENANCE_SERVER_FIELD = 'sleeptime_provenance';
/** The response header a server may send instead, for every model it serves. */
export const PROVENANCE_HEADER = 'x-sleeptime-provenance';

const declaredKindSchema = z.enum(STATED_PROVENANCE_KINDS);

/** A model's provenance from the metadata of its GGUF file (as node-llama-cpp parses it). */
export function provenanceFromGgufMetadata(metadata: unknown): ModelProvenance {
  const marker = (metadata as { sleeptime?: { provenance?: unknown } } | null | undefined)?.sleeptime?.provenance;
  if (marker === undefined) return { kind: 'real', source: 'model-file', detail: `no ${PROVENANCE_GGUF_KEY} marker in the file` };
  const declared = declaredKindSchema.safeParse(marker);
  if (!declared.success) return { kind: 'unknown', source: 'model-file', detail: `unrecognized ${PROVENANCE_GGUF_KEY} = ${JSON.stringify(marker)}` };
  return { kind: declared.data, source: 'model-file', detail: `${PROVENANCE_GGUF_KEY} = ${declared.data}` };
}

/** Hosted providers (OpenAI, Anthropic) serve trained models. */
export function providerProvenance(provider: string): ModelProvenance {
  return { kind: 'real', source: 'provider', detail: `hosted ${provider} model` };
}

const modelsListSchema = z.object({ data: z.array(z.looseObject({ id: z.string() })) });

export interface ServerProvenanceOptions {
  /** The server's base URL, ending with `/v1` as for chat completions. */
  baseUrl: string;
  modelId: string;
  apiKey?: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Give up after this long (default 10 s): a server too slow to list its models is `unknown`. */
  timeoutMs?: number;
}

/**
 * Asks an OpenAI-compatible server what it serves (`GET <baseUrl>/models`) and reads its
 * declaration: the model's own entry first, then the header. Never throws: a failure is `unknown`,
 * with the reason in `detail`.
 */
export async function requestServerProvenance(options: ServerProvenanceOptions): Promise<ModelProvenance> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/models`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const unknown = (reason: string): ModelProvenance => ({ kind: 'unknown', source: 'server', detail: `GET ${url}: ${reason}` });
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { accept: 'application/json', ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }) },
      signal: options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]),
    });
  } catch (error) {
    return unknown(timeout.aborted ? 'no answer in time' : error instanceof Error ? error.message : String(error));
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) return unknown(`status ${response.status}`);
  const entry = modelsListSchema.safeParse(body).data?.data.find((model) => model.id === options.modelId);
  // Details name no URL: rows of the same model on a restarted server (another port) must match.
  const fromEntry = entry?.[PROVENANCE_SERVER_FIELD];
  if (fromEntry !== undefined) return declared(fromEntry, `${PROVENANCE_SERVER_FIELD} of ${options.modelId} in the server's model list`);
  const fromHeader = response.headers.get(PROVENANCE_HEADER);
  if (fromHeader !== null) return declared(fromHeader, `${PROVENANCE_HEADER} header of the server's model list`);
  return { kind: 'real', source: 'server', detail: `the server's model list declares no ${PROVENANCE_SERVER_FIELD}` };
}

function declared(value: unknown, where: string): ModelProvenance {
  const parsed = declaredKindSchema.safeParse(value);
  if (!parsed.success) return { kind: 'unknown', source: 'server', detail: `unrecognized ${JSON.stringify(value)} as the ${where}` };
  return { kind: parsed.data, source: 'server', detail: `${where} = ${parsed.data}` };
}
