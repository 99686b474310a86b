/** The dashboard's page and assets: served without a key, loading nothing but this server's own files. */
import { afterEach, describe, expect, it } from 'vitest';
import { createServerTestBed, type ServerTestBed } from '../server/server-test-support.js';

let bed: ServerTestBed | undefined;

afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

describe('the dashboard at /ui', () => {
  it('serves the page and its hashed assets with a policy that allows only this server', async () => {
    bed = await createServerTestBed();
    const root = await bed.call('GET', '/', { key: null });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui');

    const page = await bed.call('GET', '/ui', { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.map((asset) => asset.replace(/-[A-Z0-9]+\./, '-HASH.'))).toEqual(['/ui/assets/app-HASH.css', '/ui/assets/app-HASH.js']);
    // No address outside this server in the page.
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);

    for (const asset of assets) {
      const response = await bed.call('GET', asset, { key: null });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(response.headers.get('cache-control')).toContain('immutable');
      expect((await response.text()).length).toBeGreaterThan(100);
    }

    const missing = await bed.call('GET', '/ui/assets/nothing.js', { key: null });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'asset_not_found' } });
    expect((await bed.call('GET', '/ui/assets/__proto__', { key: null })).status).toBe(404);
  });

  it('can be left out', async () => {
    bed = await createServerTestBed({ dashboard: false });
    expect((await bed.call('GET', '/ui', { key: null })).status).toBe(404);
  });
});
