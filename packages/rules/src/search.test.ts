import { expect, test } from 'vitest';
import { SEARCH_SNIPPET_CHARS, searchSnippet, searchTerms } from './search.ts';

const marked = ({ text, highlights }: { text: string; highlights: [number, number][] }) => highlights.map(([s, e]) => text.slice(s, e));

test('a short body is the whole snippet, each whole-word occurrence highlighted whatever its case', () => {
  const snippet = searchSnippet('We DEPLOY on Friday.\n\nDeploying is not deploy-ing, redeploy: deploy!', ['deploy']);
  expect(snippet.text).toBe('We DEPLOY on Friday. Deploying is not deploy-ing, redeploy: deploy!');
  expect(marked(snippet)).toEqual(['DEPLOY', 'deploy', 'deploy']);
  expect(snippet.highlights[0]).toEqual([3, 9]);
});

test('terms with punctuation (as the text search keeps them) and letters of any script are found', () => {
  const snippet = searchSnippet('Mail ada@example.com about the e-mail; Привет мир, café au lait, 你好世界', [
    'ada@example.com',
    'e-mail',
    'мир',
    'café',
    '你好世界',
  ]);
  expect(marked(snippet)).toEqual(['ada@example.com', 'e-mail', 'мир', 'café', '你好世界']);
});

test('a long body is cut around the first match, at word boundaries, with ellipses; ranges point into the cut text', () => {
  const words = Array.from({ length: 80 }, (_, i) => `word${i}`);
  words[50] = 'needle';
  words[53] = 'Needle';
  const snippet = searchSnippet(words.join(' '), ['needle']);
  expect(snippet.text.length).toBeLessThanOrEqual(SEARCH_SNIPPET_CHARS);
  expect(snippet.text.startsWith('…word')).toBe(true);
  expect(snippet.text.endsWith('…')).toBe(true);
  expect(marked(snippet)).toEqual(['needle', 'Needle']);
  // The cut never splits a word.
  expect(
    snippet.text
      .slice(1, -1)
      .split(' ')
      .every((w) => /^(word\d+|needle|Needle)$/.test(w)),
  ).toBe(true);
});

test('no match (or no terms) gives the start of the body without highlights; markup-looking text stays text', () => {
  expect(searchSnippet('<img src=x onerror=alert(1)> hello', ['world'])).toEqual({ text: '<img src=x onerror=alert(1)> hello', highlights: [] });
  const long = 'x'.repeat(500);
  expect(searchSnippet(long, []).text).toBe(`${'x'.repeat(SEARCH_SNIPPET_CHARS - 1)}…`);
  expect(marked(searchSnippet('<img src=x onerror=alert(1)>', ['img', 'onerror']))).toEqual(['img', 'onerror']);
});

test('terms are not patterns: regular expression characters match themselves', () => {
  expect(marked(searchSnippet('cost is 1.5 or 105 (1.5), v1.5', ['1.5']))).toEqual(['1.5', '1.5']);
  expect(searchSnippet('anything at all', ['.*']).highlights).toEqual([]);
});

test('a surrogate pair is never cut in half', () => {
  const body = `${'😀'.repeat(150)} needle`;
  const { text } = searchSnippet(body, ['needle'], 60);
  expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  expect(text.endsWith('needle')).toBe(true);
});

test('searchTerms reads a search as websearch_to_tsquery does, near enough: phrases, exclusions, or', () => {
  expect(searchTerms('"Deploy Friday" -staging or prod')).toEqual(['deploy', 'friday', 'prod']);
  expect(searchTerms('e-mail ada@example.com')).toEqual(['e-mail', 'ada@example.com']);
  expect(searchTerms('!!! ???')).toEqual([]);
  expect(searchTerms('-only')).toEqual([]);
});
