import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';

/**
 * Where the built console is (`npm run build:console` writes `dist/console`): beside the compiled gateway
 * (`dist/apps/gateway/src/console` → `dist/console`) or, running from source, under the repository's `dist/`.
 * `CONSOLE_DIR` overrides it.
 */
export function consoleDir(): string | null {
  const candidates = [
    process.env.CONSOLE_DIR,
    resolve(__dirname, '../../../../console'),
    resolve(__dirname, '../../../../dist/console'),
  ].filter((d): d is string => !!d);
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? null;
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Console not built</title>
<p>The console is not built. Run <code>npm run build</code> (or <code>npm run build:console</code>) and reload.</p>
<p>The ops API works without it: <a href="/docs">/docs</a>.</p></html>`;

/**
 * The operator console at `/console` (decision 0024): hashed assets cached for a year, every other path under it
 * answers the single page (client-side routes), never cached, so a new build shows at the next load. `/` leads to
 * it. The page holds no secret: it signs in with an API key the operator types, kept in the tab only.
 */
export function consoleMiddleware(dir = consoleDir()) {
  const assets = dir
    ? express.static(join(dir, 'assets'), {
        index: false,
        immutable: true,
        maxAge: '365d',
        fallthrough: false,
      })
    : null;
  let page: string | null = null;
  const index = () => (page ??= dir ? readFileSync(join(dir, 'index.html'), 'utf8') : null);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = req.originalUrl.split('?')[0];
    if (path === '/') return res.redirect(302, '/console/');
    if (path === '/console') return res.redirect(301, '/console/');
    if (!path.startsWith('/console/')) return next();
    if (path.startsWith('/console/assets/') && assets) {
      req.url = path.slice('/console/assets'.length);
      assets(req, res, next);
      return;
    }
    const html = index();
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    return res.status(html ? 200 : 503).send(html ?? NOT_BUILT);
  };
}
