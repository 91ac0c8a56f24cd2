import { matchRoute } from '../../scripts/local/gateway/routes';
import type { RouteSpec } from '../../scripts/local/spec/model';

const route = (path: string, functionName: string): RouteSpec => ({ path, functionName, source: 'test' });

describe('custom-domain route matching', () => {
  const routes = [route('/api/products', 'list'), route('/api/products/*', 'page'), route('/api/*', 'catch-all'), route('/api/products/special', 'special')];

  it('prefers an exact path, then the longest wildcard', () => {
    expect(matchRoute(routes, '/api/products')?.functionName).toBe('list');
    expect(matchRoute(routes, '/api/products/special')?.functionName).toBe('special');
    expect(matchRoute(routes, '/api/products/p-1')?.functionName).toBe('page');
    expect(matchRoute(routes, '/api/orders/1')?.functionName).toBe('catch-all');
  });

  it('does not match a wildcard without its slash, or other paths', () => {
    expect(matchRoute([route('/api/products/*', 'page')], '/api/productsX')).toBeUndefined();
    expect(matchRoute(routes, '/website')).toBeUndefined();
  });
});
