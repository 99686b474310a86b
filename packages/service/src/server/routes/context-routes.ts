/**
 * Contexts: list (cursor paging, an id search, each entry with its learned context, last sleep and
 * asks answered), put, append, read, delete. Writes make the context's sleep job due after the quiet period.
 */
import type { ContextRecord } from '@sleeptime/core';
import { Hono } from 'hono';
import { readJsonBody, validate } from '../request-validation.js';
import { appendContextBody, listContextsQuery, putContextBody } from '../api-schemas.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import { contextActivity } from '../statistics/context-summary.js';
import { contextJson, contextSummaryJson } from '../wire-shapes.js';
import { storedContextId, type RouteContext, type RouteDependencies } from './route-support.js';

export function contextRoutes({ engine, jobs, tenantQuota }: RouteDependencies): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();

  routes.get('/contexts', async (context) => {
    const scope = context.get('scope');
    const query = validate(listContextsQuery, context.req.query(), 'query');
    const after = query.cursor === undefined ? undefined : scope.storedId(decodeCursor(query.cursor));
    // One more than asked tells whether a next page exists without a second query.
    const records = await engine.listContexts({
      prefix: scope.prefix,
      ...(after === undefined ? {} : { after }),
      ...(query.search === undefined || query.search === '' ? {} : { contains: query.search }),
      limit: query.limit + 1,
    });
    const page = records.slice(0, query.limit);
    const last = page.at(-1);
    // One statistics read for the whole page: learned contexts, the last sleep, the asks answered.
    const statistics = new Map((await engine.contextStatistics({ contextIds: page.map((record) => record.id) })).map((entry) => [entry.contextId, entry]));
    return context.json({
      data: page.map((record) => ({ ...contextSummaryJson(scope, record), ...contextActivity(record, statistics.get(record.id)) })),
      nextCursor: records.length > query.limit && last !== undefined ? encodeCursor(scope.wireId(last.id)) : null,
    });
  });

  /** A put or an append: 201 when it created the context, and its sleep job is due after the quiet period. */
  const write = async (context: RouteContext, kind: 'put' | 'append', record: Promise<ContextRecord>) => {
    const written = await record;
    await jobs.afterWrite(written.id, kind);
    return context.json(contextJson(context.get('scope'), written), written.version === 1 ? 201 : 200);
  };

  // Every write counts against the tenant's quota, checked by the store with the write itself.
  const quotaOf = (context: RouteContext) => ({ quota: { prefix: context.get('scope').prefix, ...tenantQuota } });

  routes.put('/contexts/:id', async (context) =>
    write(context, 'put', engine.putContext({ id: storedContextId(context), ...(await readJsonBody(context, putContextBody)) }, quotaOf(context))),
  );

  routes.post('/contexts/:id/append', async (context) =>
    write(context, 'append', engine.appendContext({ id: storedContextId(context), ...(await readJsonBody(context, appendContextBody)) }, quotaOf(context))),
  );

  routes.get('/contexts/:id', async (context) => context.json(contextJson(context.get('scope'), await engine.getContext(storedContextId(context)))));

  routes.delete('/contexts/:id', async (context) => {
    await engine.deleteContext(storedContextId(context));
    return context.body(null, 204);
  });

  return routes;
}
