/**
 * The dashboard's compiled assets, written beside this file (dashboard-assets.js, not in git) and
 * into dist/ by scripts/bundle-dashboard.mjs, which `npm run build` runs first.
 */
export interface DashboardAsset {
  /** The Content-Type to serve it with. */
  type: string;
  body: string;
}

/** The page at `/ui`. */
export declare const dashboardIndexHtml: string;
/** By file name (content-hashed), served at `/ui/assets/<name>`. */
export declare const dashboardAssets: Readonly<Record<string, DashboardAsset>>;
