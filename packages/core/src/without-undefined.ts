/**
 * A copy of `record` without its undefined properties: stored settings carry only the knobs that
 * were set, and optional fields can be passed on under `exactOptionalPropertyTypes`.
 */
export function withoutUndefined<T extends object>(record: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
