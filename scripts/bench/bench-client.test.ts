import { describe, expect, it } from 'vitest';
import { messageBody, parseBody } from './bench-client.ts';

describe('a benchmark message body', () => {
  it('is the bare marker unless padding is asked for', () => {
    expect(messageBody(3, 41, 1234.5)).toBe('b|3|41|1234.500');
  });

  it('is padded to the bytes asked for, and still read back', () => {
    const body = messageBody(3, 41, 1234.5, 200);
    expect(Buffer.byteLength(body)).toBe(200);
    expect(body.startsWith('b|3|41|1234.500|')).toBe(true);
    expect(parseBody(body)).toEqual({ seq: 41, at: 1234.5 });
  });

  it('is left as it is when it is already that long', () => {
    expect(messageBody(3, 41, 1234.5, 10)).toBe('b|3|41|1234.500');
  });
});
