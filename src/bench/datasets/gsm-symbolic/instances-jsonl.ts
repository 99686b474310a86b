/** Writing generated instances as JSON Lines: one object a line, fields in a fixed order. */
import { writeJsonl } from '../jsonl.js';
import type { GsmSymbolicInstance } from './generator.js';

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
