/** Writing generated instances as JSON Lines: one object a line, fields in a fixed order. */
import { z } from 'zod';
import { readJsonl, writeJsonl } from '../jsonl.js';
import type { GsmSymbolicInstance } from './generator.js';
import type { GsmBindingValue } from './template-runtime.js';

/**
 * Writes `instances` to `path` (folders created, written atomically), one object a line with
 * `id`, `template`, `question`, `answer`, `bindings`, `labels`, `context`, `query`.
 */
export async function writeGsmSymbolicJsonl(path: string, instances: Iterable<GsmSymbolicInstance>): Promise<void> {
  const rows = [...instances].map((instance) => ({
    id: instance.id,
    template: instance.template,
    question: instance.question,
    answer: instance.answer,
    bindings: instance.bindings,
    labels: instance.labels,
    context: instance.context,
    query: instance.query,
  }));
  await writeJsonl(path, rows);
}

const bindingValueSchema: z.ZodType<GsmBindingValue> = z.lazy(() => z.union([z.number(), z.string(), z.array(bindingValueSchema)]));

const instanceSchema = z.object({
  id: z.string().min(1),
  template: z.string().min(1),
  question: z.string().min(1),
  answer: z.number(),
  bindings: z.record(z.string(), bindingValueSchema),
  labels: z.record(z.string(), z.string()).default({}),
  context: z.string(),
  query: z.string(),
});

/** Reads instances written by `writeGsmSymbolicJsonl` (or `sleeptime data gsm-symbolic`), validated. */
export async function readGsmSymbolicJsonl(path: string): Promise<GsmSymbolicInstance[]> {
  return readJsonl(path, instanceSchema);
}
