import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { loadEnv } from './env.ts';
import {
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  addressMatcher,
  clientIp,
  isHttps,
  isOriginAllowed,
  normalizeAddress,
  parseTrustProxy,
  sessionCookieHeaders,
  sessionCookieToken,
} from './http-util.ts';

/** A request as the server sees it: the socket's peer and the headers. */
function request(peer: string | undefined, headers: Record<string, string> = {}, encrypted = false): IncomingMessage {
  return { socket: { remoteAddress: peer, ...(encrypted ? { encrypted: true } : {}) }, headers } as unknown as IncomingMessage;
}

const trustNone = addressMatcher([]);
const trustLoopback = addressMatcher(parseTrustProxy('loopback').entries);
/** nginx on loopback, and a load balancer tier in 10.0.0.0/8 in front of it. */
const trustChain = addressMatcher(parseTrustProxy('127.0.0.1,10.0.0.0/8').entries);

describe('TRUST_PROXY', () => {
  test('addresses, CIDR ranges and the names loopback and private, comma-separated', () => {
    expect(parseTrustProxy('127.0.0.1, 10.0.0.0/8 ,fd00::/8')).toEqual({ entries: ['127.0.0.1', '10.0.0.0/8', 'fd00::/8'], problems: [] });
    expect(parseTrustProxy('loopback').entries).toEqual(['127.0.0.0/8', '::1']);
    expect(parseTrustProxy('Private,loopback').entries).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', '127.0.0.0/8', '::1']);
  });

  test('empty or false trusts nobody', () => {
    for (const value of ['', 'false', '0', 'no']) expect(parseTrustProxy(value), value).toEqual({ entries: [], problems: [] });
  });

  test('true (which once trusted every peer) and anything else that is no address is refused, each by name', () => {
    expect(parseTrustProxy('true').problems).toEqual([
      expect.stringMatching(/"true" would believe X-Forwarded-For from anyone: list the proxies instead, e\.g\. TRUST_PROXY=loopback/),
    ]);
    expect(parseTrustProxy('nginx,10.0.0.0/33,10.0.0.1/8x').problems).toEqual([
      '"nginx" is not an IP address, a CIDR range, "loopback" or "private"',
      '"10.0.0.0/33" is not an IP address, a CIDR range, "loopback" or "private"',
      '"10.0.0.1/8x" is not an IP address, a CIDR range, "loopback" or "private"',
    ]);
  });

  test('the environment takes it as a list, defaults to none, and stops on a bad value', () => {
    expect(loadEnv({}).TRUST_PROXY).toEqual([]);
    expect(loadEnv({ TRUST_PROXY: 'loopback,10.0.0.0/8' }).TRUST_PROXY).toEqual(['127.0.0.0/8', '::1', '10.0.0.0/8']);
    expect(() => loadEnv({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: "true" would believe X-Forwarded-For from anyone/);
  });
});

describe('addresses', () => {
  test('IPv4-mapped IPv6 is unwrapped, ports and zones dropped, anything else refused', () => {
    expect(normalizeAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(normalizeAddress(' 203.0.113.7:5678 ')).toBe('203.0.113.7');
    expect(normalizeAddress('[2001:DB8::1]:443')).toBe('2001:db8::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    for (const bad of ['unknown', '', undefined, '1.2.3', '_hidden', '999.1.1.1']) expect(normalizeAddress(bad), String(bad)).toBeUndefined();
  });

  test('a matcher checks addresses and ranges, whatever form the address comes in', () => {
    expect(trustChain('127.0.0.1')).toBe(true);
    expect(trustChain('::ffff:10.9.8.7')).toBe(true);
    expect(trustChain('127.0.0.2')).toBe(false);
    expect(trustChain('11.0.0.1')).toBe(false);
    expect(trustChain('not an address')).toBe(false);
    expect(trustChain(undefined)).toBe(false);
    expect(trustLoopback('::1')).toBe(true);
  });
});

describe('the client address', () => {
  test('without a trusted peer, X-Forwarded-For is ignored: the socket is the client', () => {
    expect(clientIp(request('203.0.113.7', { 'x-forwarded-for': '1.1.1.1' }), trustNone)).toBe('203.0.113.7');
    // Trusting loopback does not make any other peer's header believable.
    expect(clientIp(request('203.0.113.7', { 'x-forwarded-for': '1.1.1.1' }), trustLoopback)).toBe('203.0.113.7');
    expect(clientIp(request('::ffff:203.0.113.7'), trustLoopback)).toBe('203.0.113.7');
  });

  test('from a trusted proxy: the right-most hop that is not a trusted proxy', () => {
    expect(clientIp(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), trustLoopback)).toBe('203.0.113.7');
    // The client wrote "6.6.6.6" itself; nginx appended what it saw.
    expect(clientIp(request('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }), trustLoopback)).toBe('203.0.113.7');
    // Two tiers of proxies: both are walked past.
    expect(clientIp(request('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.1.2.3' }), trustChain)).toBe('203.0.113.7');
    // A forged trusted-looking hop left of the client changes nothing.
    expect(clientIp(request('127.0.0.1', { 'x-forwarded-for': '10.0.0.1, 203.0.113.7, 10.1.2.3' }), trustChain)).toBe('203.0.113.7');
  });

  test('every hop trusted: the left-most; no header: the proxy itself', () => {
    expect(clientIp(request('127.0.0.1', { 'x-forwarded-for': '10.0.0.5, 10.1.2.3' }), trustChain)).toBe('10.0.0.5');
    expect(clientIp(request('127.0.0.1'), trustChain)).toBe('127.0.0.1');
  });

  test('a hop that is no address ends the walk at the last address vouched for', () => {
    expect(clientIp(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7, unknown, 10.1.2.3' }), trustChain)).toBe('10.1.2.3');
    expect(clientIp(request('127.0.0.1', { 'x-forwarded-for': 'garbage' }), trustLoopback)).toBe('127.0.0.1');
  });

  test('hops with ports and mapped forms are read as addresses', () => {
    expect(clientIp(request('::ffff:127.0.0.1', { 'x-forwarded-for': '[2001:db8::7]:5000, ::ffff:10.1.2.3' }), trustChain)).toBe('2001:db8::7');
  });
});

describe('https and host from a proxy', () => {
  test('X-Forwarded-Proto counts only from a trusted peer, its right-most entry', () => {
    expect(isHttps(request('127.0.0.1', { 'x-forwarded-proto': 'https' }), trustLoopback)).toBe(true);
    expect(isHttps(request('203.0.113.7', { 'x-forwarded-proto': 'https' }), trustLoopback)).toBe(false);
    expect(isHttps(request('127.0.0.1', { 'x-forwarded-proto': 'https, http' }), trustLoopback)).toBe(false);
    expect(isHttps(request('203.0.113.7', {}, true), trustNone)).toBe(true);
  });

  test('X-Forwarded-Host counts only from a trusted peer', () => {
    const headers = { origin: 'https://chat.example', host: 'node1:3000', 'x-forwarded-host': 'chat.example' };
    expect(isOriginAllowed(request('127.0.0.1', headers), { allowed: [], isTrustedProxy: trustLoopback })).toBe(true);
    expect(isOriginAllowed(request('203.0.113.7', headers), { allowed: [], isTrustedProxy: trustLoopback })).toBe(false);
  });
});

describe('the session cookie', () => {
  const expiresAt = new Date('2030-01-01T00:00:00Z');

  test('Secure: named __Host-, Path=/, no Domain', () => {
    const [cookie, ...rest] = sessionCookieHeaders('tok', { secure: true, expiresAt });
    expect(cookie).toBe(`${SECURE_SESSION_COOKIE}=tok; Path=/; HttpOnly; SameSite=Lax; Secure; Expires=Tue, 01 Jan 2030 00:00:00 GMT`);
    expect(SECURE_SESSION_COOKIE).toBe('__Host-parley_session');
    expect(cookie).not.toMatch(/Domain=/i);
    expect(rest).toEqual([]);
  });

  test('not Secure: the plain name (browsers refuse __Host- without Secure)', () => {
    expect(sessionCookieHeaders('tok', { secure: false })).toEqual([`${SESSION_COOKIE}=tok; Path=/; HttpOnly; SameSite=Lax`]);
  });

  test('both names are read, the prefixed one first', () => {
    expect(sessionCookieToken(`${SESSION_COOKIE}=old; ${SECURE_SESSION_COOKIE}=new`)).toBe('new');
    expect(sessionCookieToken(`theme=dark; ${SESSION_COOKIE}=old`)).toBe('old');
    expect(sessionCookieToken('theme=dark')).toBeNull();
    expect(sessionCookieToken(undefined)).toBeNull();
  });

  test('switching to Secure expires the plain-named cookie the browser still sends, on sign-in and on sign-out', () => {
    const cookieHeader = `${SESSION_COOKIE}=old`;
    expect(sessionCookieHeaders('new', { secure: true, expiresAt, cookieHeader })).toEqual([
      expect.stringMatching(/^__Host-parley_session=new; /),
      'parley_session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0',
    ]);
    expect(sessionCookieHeaders(null, { secure: true, cookieHeader })).toEqual([
      '__Host-parley_session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0',
      'parley_session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0',
    ]);
  });
});
