import { expect, test } from 'vitest';
import { isPartitionId, parsePartitionId, pt } from './partition-id.ts';

test('partition ids: lowercase letters, digits and _, 3 to 32 characters, not starting with _', () => {
  for (const ok of ['abc', 'acme_corp', '1234', 'a'.repeat(32)]) expect(isPartitionId(ok)).toBe(true);
  for (const bad of ['ab', '_abc', 'Acme', 'a-b-c', 'a'.repeat(33), 'x; drop table users', 'abc\n', '']) {
    expect(isPartitionId(bad)).toBe(false);
  }
});

test('parsePartitionId throws on anything else, and pt() re-checks', () => {
  expect(() => parsePartitionId('a"b')).toThrow(/invalid partition id/);
  expect(pt(parsePartitionId('acme'), 'messages')).toBe('messages_acme');
  expect(() => pt('bad name' as never, 'messages')).toThrow(/invalid partition id/);
});
