/**
 * Canonical JSON for content addressing: object keys sorted, `undefined` fields dropped, bytes and
 * dates in a tagged form. Two values that mean the same thing hash the same, whatever the order in
 * which their keys were written.
 */
import { createHash } from 'node:crypto';

function canonicalValue(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    // JSON has no NaN or Infinity: two different calls must not collapse onto `null`.
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${path} is ${value}`);
    return value;
  }
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (value instanceof URL) return value.href;
  if (Array.isArray(value)) return value.map((entry, index) => (entry === undefined ? null : canonicalValue(entry, `${path}[${index}]`)));
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return Object.fromEntries(entries.map(([key, entry]) => [key, canonicalValue(entry, `${path}.${key}`)]));
  }
  throw new TypeError(`canonical JSON: ${path} is a ${typeof value}, which has no JSON form`);
}

/** JSON text with sorted keys and no `undefined`; throws on values JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value, '$'));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** sha256 of the canonical JSON of `value`. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
