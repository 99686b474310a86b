/** Contexts: list (cursor paging), put, append, read, delete. Writes make the context's sleep job due after the quiet period. */
import { Hono } from 'hono';
import { readJsonBody, validate } from '../request-validation.js';
import { appendContextBody, listContextsQuery, putContextBody } from '../api-schemas.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import { contextJson, contextSummaryJson } from '../wire-shapes.js';
import { storedContextId, type RouteDependencies } from './route-support.js';

export function contextRoutes({ engine, jobs }: RouteDependencies): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();

  routes.get('/contexts', async (context) => {
    const scope = context.get('scope');
    const query = validate(listContextsQuery, context.req.query(), 'query');
    const after = query.cursor === undefined ? undefined : scope.storedId(decodeCursor(query.cursor));
    // One more than asked tells whether a next page exists without a second query.
    const records = await engine.listContexts({ prefix: scope.prefix, ...(after === undefined ? {} : { after }), limit: query.limit + 1 });
    const page = records.slice(0, query.limit);
    const last = page.at(-1);
    return context.json({
      data: page.map((record) => contextSummaryJson(scope, record)),
      nextCursor: records.length > query.limit && last !== undefined ? encodeCursor(scope.wireId(last.id)) : null,
    });
  });

  routes.put('/contexts/:id', async (context) => {
    const id = storedContextId(context);
    const body = await readJsonBody(context, putContextBody);
    const record = await engine.putContext({ id, ...body });
    await jobs.afterWrite(record.id, 'put');
    return context.json(contextJson(context.get('scope'), record), record.version === 1 ? 201 : 200);
  });

  routes.post('/contexts/:id/append', async (context) => {
    const id = storedContextId(context);
    const body = await readJsonBody(context, appendContextBody);
    const record = await engine.appendContext({ id, ...body });
    await jobs.afterWrite(record.id, 'append');
    return context.json(contextJson(context.get('scope'), record), record.version === 1 ? 201 : 200);
  });

  routes.get('/contexts/:id', async (context) => context.json(contextJson(context.get('scope'), await engine.getContext(storedContextId(context)))));

  routes.delete('/contexts/:id', async (context) => {
    await engine.deleteContext(storedContextId(context));
    return context.body(null, 204);
  });

  return routes;
}
