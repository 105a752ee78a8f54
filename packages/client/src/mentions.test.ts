import { expect, test } from 'vitest';
import { markdownToText, parseMarkdown } from './markdown.ts';
import { decodeMentions, encodeMentions, insertMention, mentionQueryAt, suggestMentions } from './mentions.ts';

const members = [
  { userId: 'u-ada', displayName: 'Ada Lovelace' },
  { userId: 'u-alan', displayName: 'Alan Turing' },
  { userId: 'u-grace', displayName: 'Grace Hopper' },
  { userId: 'u-me', displayName: 'Me Myself' },
  { userId: 'u-zoe', displayName: 'Zoé Adams' },
];

test('the @query under the caret: after a space or at the start, never inside an address', () => {
  expect(mentionQueryAt('hi @ad', 6)).toEqual({ start: 3, query: 'ad' });
  expect(mentionQueryAt('@', 1)).toEqual({ start: 0, query: '' });
  expect(mentionQueryAt('hi @Ada Lo', 10)).toEqual({ start: 3, query: 'Ada Lo' });
  expect(mentionQueryAt('mail ada@example', 16)).toBeNull();
  expect(mentionQueryAt('hi @ad\nmore', 11)).toBeNull();
  expect(mentionQueryAt('hi @ad  x', 9)).toBeNull();
  expect(mentionQueryAt('no at here', 5)).toBeNull();
});

test('suggestions: name starts first, then a later word; accents ignored; never me; @room when allowed', () => {
  const names = (q: string, allowRoom = false) =>
    suggestMentions(members, q, { me: 'u-me', allowRoom }).map((s) => (s.kind === 'room' ? '@room' : s.displayName));
  expect(names('a')).toEqual(['Ada Lovelace', 'Alan Turing', 'Zoé Adams']);
  expect(names('zoe')).toEqual(['Zoé Adams']);
  expect(names('hop')).toEqual(['Grace Hopper']);
  expect(names('me')).toEqual([]);
  expect(names('r', true)).toEqual(['@room']);
  expect(names('r', false)).toEqual([]);
  expect(names('', true)).toHaveLength(5);
  expect(suggestMentions(members, '', { limit: 2 })).toHaveLength(2);
});

test('choosing a suggestion replaces the query with the name and moves the caret past it', () => {
  expect(insertMention('hi @ad', 3, 6, { kind: 'user', userId: 'u-ada', displayName: 'Ada Lovelace' })).toEqual({ text: 'hi @Ada Lovelace ', caret: 17 });
  expect(insertMention('@ro there', 0, 3, { kind: 'room' })).toEqual({ text: '@room there', caret: 5 });
});

test('names the composer inserted become tokens when sent; longest name wins; other @words stay', () => {
  const picked = [
    { userId: 'u-ada', displayName: 'Ada' },
    { userId: 'u-adal', displayName: 'Ada Lovelace' },
  ];
  expect(encodeMentions('@Ada Lovelace and @Ada, not @Adam or mail@Ada', picked)).toBe('<@u-adal> and <@u-ada>, not @Adam or mail@Ada');
  expect(encodeMentions('hi @room', [])).toBe('hi @room');
});

test('decoding shows names and round-trips; an unknown person keeps their token', () => {
  const names = new Map([['u-ada', 'Ada Lovelace']]);
  const decoded = decodeMentions('hi <@u-ada> and <@u-x>, @room', (id) => names.get(id));
  expect(decoded.text).toBe('hi @Ada Lovelace and <@u-x>, @room');
  expect(encodeMentions(decoded.text, decoded.picked)).toBe('hi <@u-ada> and <@u-x>, @room');
});

test('Markdown: mention tokens are inline nodes, code keeps them as text, a reader’s text shows names', () => {
  expect(parseMarkdown('hi **<@u-ada>** @room `<@u-x>`')).toEqual([
    {
      type: 'paragraph',
      children: [
        { type: 'text', text: 'hi ' },
        { type: 'strong', children: [{ type: 'mention', target: 'u-ada' }] },
        { type: 'text', text: ' ' },
        { type: 'mention', target: 'room' },
        { type: 'text', text: ' ' },
        { type: 'code', text: '<@u-x>' },
      ],
    },
  ]);
  expect(parseMarkdown('ops@room.example <@bad id>')).toEqual([{ type: 'paragraph', children: [{ type: 'text', text: 'ops@room.example <@bad id>' }] }]);
  expect(markdownToText('hi <@u-ada> @room', (id) => (id === 'u-ada' ? 'Ada' : null))).toBe('hi @Ada @room');
  expect(markdownToText('hi <@u-x>')).toBe('hi @someone');
});
