import { describe, expect, test } from 'vitest';
import { describeDuration, describeRule, ipKey } from './rate-limit.ts';

describe('rate limit wording', () => {
  test('durations read naturally and round up, never to zero', () => {
    expect(describeDuration(1)).toBe('1 second');
    expect(describeDuration(1000)).toBe('1 second');
    expect(describeDuration(1001)).toBe('2 seconds');
    expect(describeDuration(59_000)).toBe('59 seconds');
    expect(describeDuration(59_001)).toBe('1 minute');
    expect(describeDuration(60_000)).toBe('1 minute');
    expect(describeDuration(14 * 60_000 + 1)).toBe('15 minutes');
    expect(describeDuration(2 * 3_600_000)).toBe('2 hours');
  });

  test('rules', () => {
    expect(describeRule({ limit: 10, windowMs: 10_000 })).toBe('at most 10 in 10 seconds');
    expect(describeRule({ limit: 100, windowMs: 60_000 })).toBe('at most 100 in 1 minute');
  });
});

describe('ipKey', () => {
  test('IPv4 stays as is, also when written IPv4-mapped', () => {
    expect(ipKey('203.0.113.7')).toBe('203.0.113.7');
    expect(ipKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(ipKey('::FFFF:203.0.113.7')).toBe('203.0.113.7');
  });

  test('IPv6 addresses of one /64 share a key, however they are written', () => {
    const k = ipKey('2001:db8:1:2::1');
    expect(k).toBe('2001:db8:1:2::/64');
    expect(ipKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(k);
    expect(ipKey('2001:db8:1:2:0:0:0:99%eth0')).toBe(k);
    expect(ipKey('2001:db8:1:3::1')).not.toBe(k);
    expect(ipKey('::1')).toBe('0:0:0:0::/64');
    expect(ipKey('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(ipKey('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  test('anything else is its own key', () => {
    expect(ipKey('unknown')).toBe('unknown');
  });
});
