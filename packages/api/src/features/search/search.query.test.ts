import { expect, test } from 'vitest';
import { positiveLexemes } from './search.query.ts';

test('the positive words of a tsquery, exclusions and negated groups left out', () => {
  expect(positiveLexemes(`'deploy' <-> 'friday' & !'staging'`)).toEqual(['deploy', 'friday']);
  expect(positiveLexemes(`'a' & !( 'b' <-> 'c' ) | 'd'`)).toEqual(['a', 'd']);
  expect(positiveLexemes(`!!'twice'`)).toEqual(['twice']);
  expect(positiveLexemes(`!'only'`)).toEqual([]);
  expect(positiveLexemes('')).toEqual([]);
});

test('quotes and backslashes inside a lexeme are read back as the text search wrote them', () => {
  expect(positiveLexemes(`'it''s' & 'a\\\\b' & 'ada@example.com'`)).toEqual(["it's", 'a\\b', 'ada@example.com']);
  expect(positiveLexemes(`'deploy' & 'deploy'`)).toEqual(['deploy']);
});
