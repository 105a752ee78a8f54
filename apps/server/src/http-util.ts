import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

export const SESSION_COOKIE = 'parley_session';
/**
 * The session cookie's name when it is Secure. Browsers accept a `__Host-` cookie only with
 * Secure, `Path=/` and no Domain, from a secure page: a sibling subdomain or a plain-HTTP
 * page cannot plant or overwrite it.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

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

/**
 * The session token a browser sent. Both names are read, the prefixed one first: a node that
 * starts sending Secure cookies does not sign out everyone who holds the plain one.
 */
export function sessionCookieToken(cookieHeader: string | undefined): string | null {
  const cookies = parseCookies(cookieHeader);
  return cookies[SECURE_SESSION_COOKIE] || cookies[SESSION_COOKIE] || null;
}

export function serializeSessionCookie(token: string | null, opts: { secure: boolean; expiresAt?: Date | undefined }): string {
  const name = opts.secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  const parts = [`${name}=${token ?? ''}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (opts.secure) parts.push('Secure');
  if (token === null) parts.push('Max-Age=0');
  else if (opts.expiresAt) parts.push(`Expires=${opts.expiresAt.toUTCString()}`);
  return parts.join('; ');
}

/**
 * The Set-Cookie values for a new (or cleared) session. When the cookie is Secure and the
 * request still carried the plain-named one, that one is expired as well: it must not outlive
 * a sign-out, and the next sign-in or refresh completes the switch to the prefixed name.
 */
export function sessionCookieHeaders(
  token: string | null,
  opts: { secure: boolean; expiresAt?: Date | undefined; cookieHeader?: string | undefined },
): string[] {
  const headers = [serializeSessionCookie(token, opts)];
  if (opts.secure && parseCookies(opts.cookieHeader)[SESSION_COOKIE] !== undefined) {
    headers.push(`${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0`);
  }
  return headers;
}

/** Whether an address (a socket's peer, or a hop of X-Forwarded-For) is in a list. */
export type AddressCheck = (address: string | undefined) => boolean;

/** Names TRUST_PROXY accepts for the usual ranges, besides addresses and CIDR ranges. */
export const PROXY_RANGE_NAMES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return false;
  // Let node's own parser have the last word.
  try {
    new BlockList().addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    return true;
  } catch {
    return false;
  }
}

/**
 * TRUST_PROXY: the proxies whose X-Forwarded-For/-Proto/-Host are believed — addresses, CIDR
 * ranges, `loopback`, `private`, comma-separated; empty (or `false`) trusts nobody. `true`
 * (which once trusted every peer) is refused with a hint, never guessed at.
 */
export function parseTrustProxy(value: string): { entries: string[]; problems: string[] } {
  const entries: string[] = [];
  const problems: string[] = [];
  const words = value
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  if (words.length === 1 && ['false', '0', 'no'].includes(words[0]!.toLowerCase())) return { entries, problems };
  for (const word of words) {
    const named = PROXY_RANGE_NAMES[word.toLowerCase()];
    if (named) entries.push(...named);
    else if (isAddressOrRange(word)) entries.push(word);
    else if (['true', '1', 'yes'].includes(word.toLowerCase())) {
      problems.push(
        `"${word}" would believe X-Forwarded-For from anyone: list the proxies instead, e.g. TRUST_PROXY=loopback (nginx on this host) or TRUST_PROXY=10.0.0.0/8`,
      );
    } else problems.push(`"${word}" is not an IP address, a CIDR range, "loopback" or "private"`);
  }
  return { entries: [...new Set(entries)], problems };
}

/**
 * An address as a comparable string, or undefined when it is none: IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`, what a dual-stack socket reports) unwrapped; a port (`1.2.3.4:5678`,
 * `[::1]:80`) and an IPv6 zone dropped.
 */
export function normalizeAddress(raw: string | undefined): string | undefined {
  let address = raw?.trim();
  if (!address) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  address = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  if (mapped) address = mapped;
  return isIP(address) ? address : undefined;
}

/** A matcher for addresses and CIDR ranges (entries as {@link parseTrustProxy} returns them). */
export function addressMatcher(entries: readonly string[]): AddressCheck {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (raw) => {
    const address = normalizeAddress(raw);
    return address !== undefined && list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  };
}

export interface OriginPolicy {
  allowed: readonly string[];
  /** The proxies whose X-Forwarded-* headers are believed (TRUST_PROXY), by the socket's peer. */
  isTrustedProxy: AddressCheck;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The entries of a comma-separated header, in order (repeated headers are joined by Node). */
function listHeader(req: IncomingMessage, name: string): string[] {
  return (header(req, name) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

const fromTrustedProxy = (req: IncomingMessage, isTrustedProxy: AddressCheck) => isTrustedProxy(req.socket.remoteAddress);

/**
 * A request may come from no browser (no Origin), from the server's own origin (Origin's host
 * equals Host), or from an allowlisted origin. Anything else is a cross-site request.
 */
export function isOriginAllowed(req: IncomingMessage, policy: OriginPolicy): boolean {
  const origin = header(req, 'origin');
  if (!origin) return true;
  if (policy.allowed.includes(origin)) return true;
  const host = (fromTrustedProxy(req, policy.isTrustedProxy) && listHeader(req, 'x-forwarded-host').at(-1)) || header(req, 'host');
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy. Then
 * X-Forwarded-For is walked from the right (each proxy appends the address it saw): the first
 * hop that is not a trusted proxy is the client. Whatever lies left of it was written by the
 * client and is ignored. All hops trusted: the left-most. A hop that is no address ends the
 * walk at the last one vouched for.
 */
export function clientIp(req: IncomingMessage, isTrustedProxy: AddressCheck): string {
  const peer = normalizeAddress(req.socket.remoteAddress);
  if (!peer) return req.socket.remoteAddress || 'unknown';
  let client = peer;
  if (!isTrustedProxy(peer)) return client;
  const hops = listHeader(req, 'x-forwarded-for');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]);
    if (!hop) break;
    client = hop;
    if (!isTrustedProxy(hop)) break;
  }
  return client;
}

/** TLS on this socket, or a trusted proxy's X-Forwarded-Proto (its right-most entry, the nearest proxy's) says https. */
export function isHttps(req: IncomingMessage, isTrustedProxy: AddressCheck): boolean {
  if (fromTrustedProxy(req, isTrustedProxy) && listHeader(req, 'x-forwarded-proto').at(-1)?.toLowerCase() === 'https') return true;
  return 'encrypted' in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted);
}

export function bearerToken(req: IncomingMessage): string | null {
  const auth = header(req, 'authorization');
  const m = auth?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1] ?? null;
}
