import { expect, test } from 'vitest';
import { describeType, thumbBox } from './file-kind.ts';

test('names types the way people do', () => {
  expect(describeType('application/pdf', 'a.pdf')).toBe('PDF document');
  expect(describeType('image/png', 'a.png')).toBe('PNG image');
  expect(describeType('application/octet-stream', 'notes.md')).toBe('MD file');
  expect(describeType('application/octet-stream', 'noextension')).toBe('File');
});

test('a thumbnail box keeps the proportions within the limit, and is unknown without a size', () => {
  expect(thumbBox(4000, 3000)).toEqual({ width: 240, height: 180 });
  expect(thumbBox(100, 50)).toEqual({ width: 100, height: 50 });
  expect(thumbBox(null, 10)).toBeNull();
});
