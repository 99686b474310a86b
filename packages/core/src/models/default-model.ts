import { DEFAULT_LLAMA_MODEL } from './llama-contract.js';
import type { Environment } from './create-model.js';

/** The model used when neither `--model` nor SLEEPTIME_MODEL names one: a small embedded GGUF. */
export const DEFAULT_MODEL_SPEC = `llama:${DEFAULT_LLAMA_MODEL}`;

/**
 * `--model` flag, else SLEEPTIME_MODEL, else {@link DEFAULT_MODEL_SPEC}. An empty SLEEPTIME_MODEL
 * counts as unset (`SLEEPTIME_MODEL= cmd` is a common way to clear it); an empty flag is passed on
 * so that parsing reports it.
 */
export function resolveModelSpec(flag?: string, env: Environment = process.env): string {
  if (flag !== undefined) return flag;
  const fromEnv = env.SLEEPTIME_MODEL?.trim();
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return DEFAULT_MODEL_SPEC;
}
