/**
 * The web dashboard: a static single-page app (packages/service/dashboard, compiled by
 * scripts/bundle-dashboard.mjs into a module of strings, so it ships inside the package and inside
 * the CLI's bundle alike) served at `/ui`, with `/` sent there. It signs in with an API key kept in
 * the page (sessionStorage) and uses the same `/v1` API as every client. Its Content-Security-Policy
 * lets the page load and call nothing but this server.
 */
import { Hono } from 'hono';
import { errorBody } from '../server/api-errors.js';
import type { DashboardAsset } from './generated/dashboard-assets.js';

export const dashboardPath = '/ui';

const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

let assets: Promise<{ dashboardIndexHtml: string; dashboardAssets: Readonly<Record<string, DashboardAsset>> }> | undefined;
/** Loaded on the first request for the dashboard: a server nobody opens it on never parses it. */
function loadAssets() {
  assets ??= import('./generated/dashboard-assets.js').catch((error: unknown) => {
    assets = undefined;
    throw error;
  });
  return assets;
}

export function dashboardRoutes(): Hono {
  const routes = new Hono();
  routes.get('/', (context) => context.redirect(dashboardPath, 302));
  routes.get(dashboardPath, async (context) => {
    const { dashboardIndexHtml } = await loadAssets();
    return context.html(dashboardIndexHtml, 200, { ...securityHeaders, 'cache-control': 'no-cache' });
  });
  routes.get(`${dashboardPath}/assets/:file`, async (context) => {
    const file = context.req.param('file');
    const asset = Object.hasOwn((await loadAssets()).dashboardAssets, file) ? (await loadAssets()).dashboardAssets[file] : undefined;
    if (asset === undefined) return context.json(errorBody(404, 'asset_not_found', `No dashboard asset "${file.slice(0, 100)}"`), 404);
    // Names carry a hash of their content: a changed asset is a new name.
    return context.body(asset.body, 200, { ...securityHeaders, 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable' });
  });
  return routes;
}
