/**
 * `GET /v1/models` and `GET /v1/models/:model`: what OpenAI-compatible clients and chat UIs ask first.
 * The proxy serves one model, the server's configured one, under its own name and the alias
 * `sleeptime`; a completion may name either (or anything: the configured model answers).
 */
import { Hono } from 'hono';
import { ApiError } from '../api-errors.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import type { RouteDependencies } from './route-support.js';

/** The name every sleeptime proxy answers to, whatever model it runs. */
export const proxyModelAlias = 'sleeptime';

/**
 * The name a model spec is listed under: the spec itself, except that a local file is named by its
 * file name (the server's folders are nobody's business).
 */
export function listedModelName(spec: string): string {
  const match = /^llama:(.*)$/.exec(spec);
  if (match === null || (match[1] ?? '').startsWith('hf:')) return spec;
  return `llama:${(match[1] ?? '').split(/[\\/]/).at(-1) ?? ''}`;
}

export function modelsRoutes({ modelName, startedAt }: RouteDependencies): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();
  const created = Math.floor(startedAt / 1000);
  const names = [...new Set([proxyModelAlias, ...(modelName === undefined ? [] : [listedModelName(modelName)])])];
  const entry = (id: string) => ({ id, object: 'model' as const, created, owned_by: 'sleeptime' });

  routes.get('/models', (context) => context.json({ object: 'list', data: names.map(entry) }));
  routes.get('/models/:model', (context) => {
    const id = context.req.param('model');
    if (!names.includes(id)) throw new ApiError(404, 'model_not_found', `No model "${id}" here; this server lists ${names.map((name) => `"${name}"`).join(' and ')}`);
    return context.json(entry(id));
  });
  return routes;
}
