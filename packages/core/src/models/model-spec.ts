import { userError } from '../errors.js';
import type { ProviderKind } from './types.js';

/**
 * Model spec strings: `<provider>:<model>`, where the model part is everything after the first
 * colon (so `llama:hf:user/repo:file.gguf` keeps its `hf:` URI whole).
 */
export interface ModelSpec {
  provider: ProviderKind;
  modelId: string;
}

export const PROVIDER_KINDS: readonly ProviderKind[] = ['openai', 'anthropic', 'openai-compatible', 'llama'];

export const ACCEPTED_MODEL_SPEC_FORMS =
  'openai:<model>, anthropic:<model>, openai-compatible:<model> or llama:<path to .gguf | hf:URI>';

/** Remote sources node-llama-cpp resolves (downloaded into the cache folder). */
const REMOTE_LLAMA_SOURCE = /^(hf:|hf\/\/|huggingface:|https?:\/\/)/i;

function isProviderKind(value: string): value is ProviderKind {
  return (PROVIDER_KINDS as readonly string[]).includes(value);
}

function invalidSpec(spec: string, problem: string) {
  // JSON.stringify keeps the message on one line even if the spec holds odd characters.
  return userError(
    'invalid_model_spec',
    `invalid model spec ${JSON.stringify(spec)}: ${problem}; expected ${ACCEPTED_MODEL_SPEC_FORMS}`,
    { spec },
  );
}

export function parseModelSpec(spec: string): ModelSpec {
  const trimmed = spec.trim();
  if (trimmed === '') throw invalidSpec(spec, 'it is empty');

  const colon = trimmed.indexOf(':');
  if (colon < 0) throw invalidSpec(spec, 'no provider prefix');

  const provider = trimmed.slice(0, colon).trim().toLowerCase();
  const modelId = trimmed.slice(colon + 1).trim();
  if (!isProviderKind(provider)) throw invalidSpec(spec, `unknown provider ${JSON.stringify(provider)}`);
  if (modelId === '') throw invalidSpec(spec, 'no model after the provider');

  if (provider === 'llama') {
    // Catches Ollama-style names (`llama:llama3`) that node-llama-cpp could not load anyway.
    const remote = REMOTE_LLAMA_SOURCE.exec(modelId);
    if (remote !== null && modelId.length <= remote[0].length) throw invalidSpec(spec, `the ${remote[0]} URI names no model`);
    if (remote === null && !modelId.toLowerCase().endsWith('.gguf')) {
      throw invalidSpec(spec, 'a llama model must be a path to a .gguf file or an hf: URI');
    }
  }
  return { provider, modelId };
}
