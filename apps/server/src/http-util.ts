import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'parley_session';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      out[key] = value;
    }
  }
  return out;
}

export function serializeSessionCookie(token: string | null, opts: { secure: boolean; expiresAt?: Date | undefined }): string {
  const parts = [`${SESSION_COOKIE}=${token ?? ''}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (opts.secure) parts.push('Secure');
  if (token === null) parts.push('Max-Age=0');
  else if (opts.expiresAt) parts.push(`Expires=${opts.expiresAt.toUTCString()}`);
  return parts.join('; ');
}

export interface OriginPolicy {
  allowed: readonly string[];
  trustProxy: boolean;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * A request may come from no browser (no Origin), from the server's own origin (Origin's host
 * equals Host), or from an allowlisted origin. Anything else is a cross-site request.
 */
export function isOriginAllowed(req: IncomingMessage, policy: OriginPolicy): boolean {
  const origin = header(req, 'origin');
  if (!origin) return true;
  if (policy.allowed.includes(origin)) return true;
  const host = (policy.trustProxy && header(req, 'x-forwarded-host')) || header(req, 'host');
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? header(req, 'x-forwarded-for')?.split(',')[0]?.trim() : undefined;
  return forwarded || req.socket.remoteAddress || 'unknown';
}

export function isHttps(req: IncomingMessage, trustProxy: boolean): boolean {
  if (trustProxy && header(req, 'x-forwarded-proto') === 'https') return true;
  return 'encrypted' in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted);
}

export function bearerToken(req: IncomingMessage): string | null {
  const auth = header(req, 'authorization');
  const m = auth?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1] ?? null;
}
