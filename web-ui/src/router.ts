import { useEffect, useState } from 'preact/hooks';

/** History-API routing: the daemon answers index.html for any path outside /api/, so deep links work. */
export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'site'; readonly id: string }
  | { readonly page: 'alarms' }
  | { readonly page: 'broadcast' }
  | { readonly page: 'recordings' }
  | { readonly page: 'library' }
  | { readonly page: 'devices' }
  | { readonly page: 'settings' };

export function parseRoute(path: string): Route {
  const parts = path.split('/').filter((p) => p !== '');
  const [first, second] = parts;
  if (first === 'site' && second !== undefined) return { page: 'site', id: decodeURIComponent(second) };
  if (first === 'alarms' || first === 'broadcast' || first === 'devices' || first === 'settings') return { page: first };
  if (first === 'recordings' || first === 'library') return { page: first };
  return { page: 'overview' };
}

export function routePath(r: Route): string {
  return r.page === 'overview' ? '/' : r.page === 'site' ? `/site/${encodeURIComponent(r.id)}` : `/${r.page}`;
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (path !== window.location.pathname) window.history.pushState(null, '', path);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/**
 * The current route as `parse` reads the path, re-rendered on every navigation (a link, `navigate`, back and
 * forward). One history for the page: the box UI's routes and the county hub page's (hub/web/src/route.tsx) both.
 */
export function useRouteOf<R>(parse: (path: string) => R): R {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const l = (): void => setPath(window.location.pathname);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return parse(path);
}

export function useRoute(): Route {
  return useRouteOf(parseRoute);
}

/** A link that navigates without a reload (and still works with a middle click). */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.currentTarget as HTMLAnchorElement;
  e.preventDefault();
  navigate(a.getAttribute('href') || '/');
}
