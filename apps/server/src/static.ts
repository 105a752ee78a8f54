import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';

/** A year: hashed `/assets/` files never change under their name. */
const IMMUTABLE_MAX_AGE_S = 365 * 24 * 60 * 60;
/** HSTS lifetime: a year, the value preload lists expect; no includeSubDomains (other hosts are not ours to decide). */
const HSTS_MAX_AGE_S = 365 * 24 * 60 * 60;

/** `/assets/<name>.<ext>`: only Vite's hashed output. `/assets/foo` (no extension) falls back to the page. */
const HASHED_ASSET = /^\/assets\/[^/]+\.[A-Za-z0-9]+$/;
/** What a Host header may look like to be written into the policy: a name or address, and a port. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The SPA's Content-Security-Policy. The built page loads one script and one stylesheet from
 * /assets/ and nothing inline (React's `style={…}` goes through the CSSOM, which CSP does not
 * restrict); the favicon is a data: URL. WebSocket URLs of the page's own host are listed besides
 * 'self': browsers before CSP 3 do not count ws:/wss: as 'self'.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface StaticOptions {
  /** Whether the request came over HTTPS (or secure cookies are forced): then HSTS is sent too. */
  secure(req: IncomingMessage): boolean;
}

export type StaticHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * Serves the built SPA from `dir` (unknown paths without an extension get index.html), with
 * security headers on every answer and the `.br`/`.gz` files the build wrote beside each asset
 * when the browser accepts them. Hashed `/assets/` files are cached for a year; the page and
 * /sw.js are revalidated on every load: a stale copy would keep browsers on an old build (and
 * an old service worker).
 */
export function createStaticHandler(dir: string, options: StaticOptions): StaticHandler {
  const serve = sirv(dir, { single: true, etag: true, brotli: true, gzip: true });
  return (req, res, next) => {
    // Set before sirv answers, so that a 304 carries them as well.
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(req.headers.host));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (options.secure(req)) res.setHeader('Strict-Transport-Security', `max-age=${HSTS_MAX_AGE_S}`);
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    res.setHeader('Cache-Control', HASHED_ASSET.test(pathname) ? `public, max-age=${IMMUTABLE_MAX_AGE_S}, immutable` : 'no-cache');
    serve(req, res, next);
  };
}
