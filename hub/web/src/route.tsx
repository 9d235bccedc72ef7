import { useRouteOf } from '../../../web-ui/src/router.js';

/**
 * History-API routes: the hub answers index.html for any path outside /api/, so deep links survive a reload. The
 * history itself (navigate, links, back and forward) is the box UI's (web-ui/src/router.ts).
 */
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

export function useRoute(): Route {
  return useRouteOf(parseRoute);
}
