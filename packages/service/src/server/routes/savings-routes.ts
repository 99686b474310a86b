/**
 * What the learned contexts saved (see statistics/savings.ts): for one context, and over the
 * tenant's contexts with a page of per-context entries. `testTokenWeight` is the paper's `t`.
 */
import { Hono } from 'hono';
import { contextSavingsQuery, savingsQuery } from '../api-schemas.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import { validate } from '../request-validation.js';
import { contextSavings, overallSavings } from '../statistics/savings.js';
import { storedContextId, type RouteDependencies } from './route-support.js';

export function savingsRoutes({ engine }: RouteDependencies): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();

  routes.get('/savings', async (context) => {
    const scope = context.get('scope');
    const query = validate(savingsQuery, context.req.query(), 'query');
    const after = query.cursor === undefined ? undefined : scope.storedId(decodeCursor(query.cursor));
    // Every context of the tenant with a run: the overall figures need them all; the page lists some.
    const statistics = (await engine.contextStatistics({ prefix: scope.prefix })).filter((entry) => entry.runs.length > 0);
    const rest = after === undefined ? statistics : statistics.filter((entry) => entry.contextId > after);
    const page = rest.slice(0, query.limit);
    const last = page.at(-1);
    return context.json({
      testTokenWeight: query.testTokenWeight,
      overall: overallSavings(statistics, query.testTokenWeight),
      data: page.map((entry) => ({ contextId: scope.wireId(entry.contextId), ...contextSavings(entry, query.testTokenWeight) })),
      nextCursor: rest.length > query.limit && last !== undefined ? encodeCursor(scope.wireId(last.contextId)) : null,
    });
  });

  routes.get('/contexts/:id/savings', async (context) => {
    const scope = context.get('scope');
    const query = validate(contextSavingsQuery, context.req.query(), 'query');
    const record = await engine.getContext(storedContextId(context));
    const [statistics] = await engine.contextStatistics({ contextIds: [record.id] });
    return context.json({ contextId: scope.wireId(record.id), testTokenWeight: query.testTokenWeight, ...contextSavings(statistics, query.testTokenWeight) });
  });

  return routes;
}
