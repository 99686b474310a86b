/** Hash routes (`#/contexts/notes/runs`): the server serves one page, and no route ever carries the key. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'contexts' }
  | { page: 'savings' }
  | { page: 'context'; id: string; tab: ContextTab };

export const contextTabs = ['overview', 'learned', 'runs', 'ask', 'savings'] as const;
export type ContextTab = (typeof contextTabs)[number];

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((part) => part !== '').map(decodeURIComponent);
  if (parts[0] === 'savings') return { page: 'savings' };
  if (parts[0] === 'contexts' && parts[1] !== undefined) {
    const tab = contextTabs.find((name) => name === parts[2]) ?? 'overview';
    return { page: 'context', id: parts[1], tab };
  }
  return { page: 'contexts' };
}

export function href(route: Route): string {
  if (route.page === 'savings') return '#/savings';
  if (route.page === 'context') return `#/contexts/${encodeURIComponent(route.id)}${route.tab === 'overview' ? '' : `/${route.tab}`}`;
  return '#/';
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
