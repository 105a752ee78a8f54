import { expect, test } from 'vitest';
import { formatBytes, MEDIA_MAX_BYTES_DEFAULT, mediaSizeRefusal } from './media.ts';

test('sizes read the way people read them', () => {
  expect([0, 999, 1024, 1536, 10 * 1024 * 1024 - 1, MEDIA_MAX_BYTES_DEFAULT, 3 * 1024 ** 3].map(formatBytes)).toEqual([
    '0 B',
    '999 B',
    '1 KB',
    '1.5 KB',
    '10 MB',
    '25 MB',
    '3 GB',
  ]);
});

test('a file is refused before upload when empty or over the limit, with both sizes named', () => {
  expect(mediaSizeRefusal(1)).toBeNull();
  expect(mediaSizeRefusal(MEDIA_MAX_BYTES_DEFAULT)).toBeNull();
  expect(mediaSizeRefusal(0)).toBe('That file is empty.');
  expect(mediaSizeRefusal(30 * 1024 * 1024)).toBe('A file can be at most 25 MB; this one is 30 MB.');
  expect(mediaSizeRefusal(2048, 1024)).toBe('A file can be at most 1 KB; this one is 2 KB.');
});
