import { useEffect, useState } from 'preact/hooks';

/** History-API routes: the hub answers index.html for any path outside /api/, so deep links survive a reload. */
export type Route =
  | { readonly page: 'boxes' }
  | { readonly page: 'box'; readonly id: string }
  | { readonly page: 'alarms' }
  | { readonly page: 'orders' }
  | { readonly page: 'content' }
  | { readonly page: 'accounts' };

export function parseRoute(path: string): Route {
  const [first, second] = path.split('/').filter((p) => p !== '');
  if (first === 'box' && second !== undefined) return { page: 'box', id: decodeURIComponent(second) };
  if (first === 'alarms' || first === 'orders' || first === 'content' || first === 'accounts') return { page: first };
  return { page: 'boxes' };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function go(path: string): void {
  if (path !== window.location.pathname) window.history.pushState(null, '', path);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const l = (): void => setPath(window.location.pathname);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return parseRoute(path);
}

/** A link that navigates without a reload (a middle click still opens a tab). */
export function onLink(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  go((e.currentTarget as HTMLAnchorElement).getAttribute('href') || '/');
}
