/** Learned contexts: the latest with its freshness, every version, and the diff between two. */
import { SleeptimeError } from '@sleeptime/core';
import { Hono } from 'hono';
import { ApiError } from '../api-errors.js';
import { learnedDiffQuery } from '../api-schemas.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import { validate } from '../request-validation.js';
import { learnedJson } from '../wire-shapes.js';
import { storedContextId, type RouteDependencies } from './route-support.js';

export function learnedRoutes({ engine }: RouteDependencies): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();

  routes.get('/contexts/:id/learned', async (context) => {
    const scope = context.get('scope');
    const { context: record, versions } = await engine.learnedHistory(storedContextId(context));
    const latest = versions.at(-1);
    if (latest === undefined) {
      throw new ApiError(404, 'learned_context_not_found', `Context "${scope.wireId(record.id)}" has no learned context yet: trigger a sleep run`);
    }
    return context.json(learnedJson(scope, latest));
  });

  routes.get('/contexts/:id/learned/history', async (context) => {
    const scope = context.get('scope');
    const { versions } = await engine.learnedHistory(storedContextId(context));
    return context.json({ data: versions.map((version) => learnedJson(scope, version)) });
  });

  routes.get('/contexts/:id/learned/diff', async (context) => {
    const id = storedContextId(context);
    const query = validate(learnedDiffQuery, context.req.query(), 'query');
    try {
      return context.json(await engine.learnedDiff(id, query));
    } catch (error) {
      if (SleeptimeError.isInstance(error) && error.code === 'learned_version_not_found') {
        throw new ApiError(404, error.code, error.message, { versions: error.details.versions });
      }
      throw error;
    }
  });

  return routes;
}
