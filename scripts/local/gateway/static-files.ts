import { createReadStream, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves the built website the way an OSS static-website bucket does: files by path, `index.html` for
 * folders, and `index.html` for unknown extension-less paths (the SPA's client routes).
 * Returns false when nothing matched, so the caller answers 404.
 */
export function serveStatic(root: string, urlPath: string, res: ServerResponse, method: string): boolean {
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, '');
  } catch {
    return false;
  }
  if (relative.split(sep).includes('..')) return false;
  const candidates = [join(root, relative), join(root, relative, 'index.html')];
  if (!extname(relative)) candidates.push(join(root, 'index.html'));
  for (const file of candidates) {
    try {
      const stat = statSync(file);
      if (!stat.isFile()) continue;
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      const cache = extname(file) === '.html' ? 'no-cache' : 'public, max-age=60';
      res.writeHead(200, { 'content-type': type, 'content-length': String(stat.size), 'cache-control': cache });
      if (method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
      return true;
    } catch {
      continue;
    }
  }
  return false;
}
