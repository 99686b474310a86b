/**
 * The tenant of a stored context id: the HTTP service stores a tenant's context `x` as
 * `<tenant id>.x`, so the tenant is the part before the first '.', dot included (`t1.notes` → `t1.`).
 * Ids without a '.' (the library's and the CLI's own contexts) have no tenant. The job claim's
 * per-tenant cap reads ids the same way, in SQL (job-repository.ts).
 */
export function tenantPrefixOf(contextId: string): string | undefined {
  const dot = contextId.indexOf('.');
  return dot < 0 ? undefined : contextId.slice(0, dot + 1);
}
