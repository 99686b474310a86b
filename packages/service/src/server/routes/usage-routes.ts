/** The tenant's usage against its limits: today's sleep-time tokens. */
import { Hono } from 'hono';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import type { RouteDependencies } from './route-support.js';

export function usageRoutes({ engine, maxSleepTokensPerTenantPerDay }: RouteDependencies): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();

  routes.get('/usage', async (context) => {
    const usage = await engine.sleepTokenUsage(context.get('scope').prefix);
    const limit = maxSleepTokensPerTenantPerDay ?? null;
    return context.json({
      sleepTokens: {
        day: usage.day,
        tokens: usage.tokens,
        limit,
        remaining: limit === null ? null : Math.max(0, limit - usage.tokens),
        resetsAt: usage.resetsAt.toISOString(),
      },
    });
  });

  return routes;
}
