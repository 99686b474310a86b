import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './api-errors.js';

export function validate<Schema extends z.ZodType>(schema: Schema, value: unknown, where: string): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  // A schema's own refusal (a lone surrogate, a forbidden metadata key) names its stable code.
  const own = issue?.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
  throw new ApiError(400, typeof own === 'string' ? own : 'invalid_request', `${where}${field === '' ? '' : `.${field}`}: ${issue?.message ?? 'invalid'}`, {
    field: field === '' ? where : field,
  });
}

/** Reads a JSON body; an empty body counts as `{}` so that options-only routes need none. */
export async function readJsonBody<Schema extends z.ZodType>(context: Context, schema: Schema): Promise<z.infer<Schema>> {
  const text = await context.req.text();
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'invalid_json', 'The request body is not valid JSON');
    }
  }
  return validate(schema, value, 'body');
}

