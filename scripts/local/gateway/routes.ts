import type { RouteSpec } from '../spec/model';

/**
 * Custom-domain route matching, as FC does it: an exact path wins over a wildcard; among wildcards
 * (`/api/products/*`) the longest prefix wins. Returns the route even when the method is not allowed,
 * so the caller can answer 405.
 */
export function matchRoute(routes: RouteSpec[], path: string): RouteSpec | undefined {
  const exact = routes.find((r) => r.path === path);
  if (exact) return exact;
  let best: RouteSpec | undefined;
  for (const route of routes) {
    if (!route.path.endsWith('/*')) continue;
    const prefix = route.path.slice(0, -1); // keep the trailing slash: /api/products/
    if (path.startsWith(prefix) && (!best || prefix.length > best.path.length - 1)) best = route;
  }
  return best;
}
