import { expect, test } from 'vitest';
import { markdownToText, parseMarkdown, type MdBlock, type MdInline } from './markdown.ts';

const text = (t: string): MdInline => ({ type: 'text', text: t });
const para = (...children: MdInline[]): MdBlock => ({ type: 'paragraph', children });
const link = (href: string, written = href): MdInline => ({ type: 'link', href, text: written });

/** The first paragraph's inline content. */
function inline(body: string): MdInline[] {
  const [block] = parseMarkdown(body);
  if (block?.type !== 'paragraph') throw new Error(`Expected a paragraph, got ${JSON.stringify(block)}`);
  return [...block.children];
}

/** Every link anywhere in the tree. */
function links(blocks: readonly MdBlock[]): MdInline[] {
  const found: MdInline[] = [];
  const walkInline = (nodes: readonly MdInline[]) => {
    for (const n of nodes) {
      if (n.type === 'link') found.push(n);
      if ('children' in n) walkInline(n.children);
    }
  };
  for (const b of blocks) {
    if (b.type === 'paragraph') walkInline(b.children);
    if (b.type === 'list') b.items.forEach(walkInline);
    if (b.type === 'quote') found.push(...links(b.children));
  }
  return found;
}

/** The text a reader sees, markers gone. */
function plain(blocks: readonly MdBlock[]): string {
  const ofInline = (nodes: readonly MdInline[]): string =>
    nodes.map((n) => (n.type === 'mention' ? `@${n.target}` : 'children' in n ? ofInline(n.children) : n.text)).join('');
  return blocks
    .map((b) =>
      b.type === 'paragraph' ? ofInline(b.children) : b.type === 'code' ? b.text : b.type === 'quote' ? plain(b.children) : b.items.map(ofInline).join('\n'),
    )
    .join('\n');
}

test('plain text is one paragraph, line breaks kept; blank lines separate paragraphs', () => {
  expect(parseMarkdown('hello')).toEqual([para(text('hello'))]);
  expect(parseMarkdown('one\ntwo\r\n\r\n\nthree')).toEqual([para(text('one\ntwo')), para(text('three'))]);
  expect(parseMarkdown('')).toEqual([]);
  expect(parseMarkdown('  \n\n ')).toEqual([]);
});

test('bold, italic, strike and inline code', () => {
  expect(inline('a **b** c')).toEqual([text('a '), { type: 'strong', children: [text('b')] }, text(' c')]);
  expect(inline('__b__')).toEqual([{ type: 'strong', children: [text('b')] }]);
  expect(inline('*i* and _j_')).toEqual([{ type: 'em', children: [text('i')] }, text(' and '), { type: 'em', children: [text('j')] }]);
  expect(inline('~~gone~~')).toEqual([{ type: 'strike', children: [text('gone')] }]);
  expect(inline('run `npm i **x**` now')).toEqual([text('run '), { type: 'code', text: 'npm i **x**' }, text(' now')]);
  expect(inline('``a ` b``')).toEqual([{ type: 'code', text: 'a ` b' }]);
  expect(inline('***both***')).toEqual([{ type: 'em', children: [{ type: 'strong', children: [text('both')] }] }]);
  expect(inline('**bold *and italic***')).toEqual([{ type: 'strong', children: [text('bold '), { type: 'em', children: [text('and italic')] }] }]);
});

test('markers that do not pair up, or sit between words or spaces, stay text', () => {
  expect(inline('2 * 3 * 4')).toEqual([text('2 * 3 * 4')]);
  expect(inline('snake_case_name')).toEqual([text('snake_case_name')]);
  expect(inline('**not closed')).toEqual([text('**not closed')]);
  expect(inline('~one~ and ~~~three~~~')).toEqual([text('~one~ and ~~~three~~~')]);
  expect(inline('`unclosed code')).toEqual([text('`unclosed code')]);
  expect(inline('\\*not italic\\*')).toEqual([text('*not italic*')]);
  expect(inline('****')).toEqual([text('****')]);
});

test('http, https, www and mailto addresses become links, without trailing punctuation', () => {
  expect(inline('see https://example.com/a?b=1#c.')).toEqual([text('see '), link('https://example.com/a?b=1#c'), text('.')]);
  expect(inline('(www.example.com), ok')).toEqual([text('('), link('https://www.example.com', 'www.example.com'), text('), ok')]);
  expect(inline('http://x.org/wiki/Foo_(bar)!')).toEqual([link('http://x.org/wiki/Foo_(bar)'), text('!')]);
  expect(inline('mail mailto:ada@example.com')).toEqual([text('mail '), link('mailto:ada@example.com')]);
  expect(inline('**https://example.com**')).toEqual([{ type: 'strong', children: [link('https://example.com')] }]);
  expect(inline('https://a.com/x_y_z')).toEqual([link('https://a.com/x_y_z')]);
  expect(inline('HTTPS://Example.com')).toEqual([link('https://Example.com', 'HTTPS://Example.com')]);
});

test('things that only look like addresses are not links', () => {
  for (const body of ['https://', 'www.', 'https://.com', 'xhttps://evil.com', 'mailto:nobody', 'ftp://files.example.com', 'file:///etc/passwd']) {
    expect(links(parseMarkdown(body)), body).toEqual([]);
  }
});

test('fenced code blocks keep their text as is, with a language when given', () => {
  expect(parseMarkdown('before\n```ts\nconst a = **1**;\n  <b>x</b>\n```\nafter')).toEqual([
    para(text('before')),
    { type: 'code', lang: 'ts', text: 'const a = **1**;\n  <b>x</b>' },
    para(text('after')),
  ]);
  expect(parseMarkdown('```\nno end')).toEqual([{ type: 'code', lang: null, text: 'no end' }]);
  expect(parseMarkdown('```"><img src=x>\ncode\n```')).toEqual([{ type: 'code', lang: null, text: 'code' }]);
});

test('block quotes, bullet and numbered lists', () => {
  expect(parseMarkdown('> quoted **bold**\n> more\n\nafter')).toEqual([
    { type: 'quote', children: [para(text('quoted '), { type: 'strong', children: [text('bold')] }, text('\nmore'))] },
    para(text('after')),
  ]);
  expect(parseMarkdown('- one\n* two\n  continued\n- three')).toEqual([
    { type: 'list', ordered: false, start: 1, items: [[text('one')], [text('two\ncontinued')], [text('three')]] },
  ]);
  expect(parseMarkdown('3. three\n4. *four*')).toEqual([
    { type: 'list', ordered: true, start: 3, items: [[text('three')], [{ type: 'em', children: [text('four')] }]] },
  ]);
  expect(parseMarkdown('text\n- item')).toEqual([para(text('text')), { type: 'list', ordered: false, start: 1, items: [[text('item')]] }]);
  expect(parseMarkdown('*not a list*')).toEqual([para({ type: 'em', children: [text('not a list')] })]);
  expect(parseMarkdown('-not a list')).toEqual([para(text('-not a list'))]);
});

test('HTML stays text, whatever it says', () => {
  const body = '<script>alert(1)</script> <img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>';
  expect(parseMarkdown(body)).toEqual([para(text(body))]);
});

test('no javascript:, data: or vbscript: link, in any spelling or form', () => {
  const hostile = [
    '[x](javascript:alert(1))',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    '<javascript:alert(1)>',
    '[click](data:text/html,<script>alert(1)</script>)',
    'https://javascript:alert(1)@x',
  ];
  for (const body of hostile) {
    for (const l of links(parseMarkdown(body))) {
      expect(l.type === 'link' && /^(https?:\/\/|mailto:)/.test(l.href), `${body} → ${JSON.stringify(l)}`).toBe(true);
    }
  }
  expect(plain(parseMarkdown('[x](javascript:alert(1))'))).toBe('[x](javascript:alert(1))');
  // The address inside a Markdown link is linked as written; the label is only text.
  expect(parseMarkdown('[x](https://example.com)')).toEqual([para(text('[x]('), link('https://example.com'), text(')'))]);
});

test('deep quotes stop nesting after three levels; the rest is text', () => {
  const [outer] = parseMarkdown('> > > > > deep');
  let block: MdBlock | undefined = outer;
  let depth = 0;
  while (block?.type === 'quote') {
    depth++;
    block = block.children[0];
  }
  expect(depth).toBe(3);
  expect(block).toEqual(para(text('> > deep')));
});

test('hostile inputs of 4,000 characters parse quickly, keep every character, and nest boundedly', () => {
  const inputs = [
    '*'.repeat(4000),
    '*a'.repeat(2000),
    '**a '.repeat(1000),
    '*_'.repeat(2000),
    '~~a'.repeat(1333),
    '`'.repeat(4000),
    '` '.repeat(2000),
    '`a``'.repeat(1000),
    '> '.repeat(2000),
    '>\n'.repeat(2000),
    '- \n'.repeat(1333),
    '```\n'.repeat(1000),
    '_a_ '.repeat(1000),
    'https://'.repeat(500),
    'www.a'.repeat(800),
    'mailto:a('.repeat(444),
    '(https://a.b)'.repeat(307),
    '\\'.repeat(4000),
    '[x](javascript:alert(1))'.repeat(166),
    `${'*'.repeat(2000)}a${'*'.repeat(2000)}`,
    `${'_*~~'.repeat(500)}a${'~~*_'.repeat(500)}`,
  ];
  for (const body of inputs) {
    const started = performance.now();
    const blocks = parseMarkdown(body);
    const ms = performance.now() - started;
    // Catastrophic backtracking takes seconds to minutes here; the parser takes about a
    // millisecond. The bound is far from both, so a loaded machine cannot fail it (the
    // linearity test below is the precise check).
    expect(ms, body.slice(0, 20)).toBeLessThan(1000);
    expect(depthOf(blocks), body.slice(0, 20)).toBeLessThanOrEqual(40);
  }
  // Nothing is lost: markers that are used are the only characters missing.
  expect(plain(parseMarkdown('*'.repeat(4000)))).toBe('*'.repeat(4000));
  expect(plain(parseMarkdown(`a${'`'.repeat(3999)}`))).toBe(`a${'`'.repeat(3999)}`);
  // A line of backticks alone opens a (here empty) code block, as in CommonMark.
  expect(parseMarkdown('`'.repeat(4000))).toEqual([{ type: 'code', lang: null, text: '' }]);
});

test('time grows linearly with the length of hostile input', () => {
  /** The fastest of a few runs: a slow one (a garbage collection, the JIT) says nothing. */
  const timeOf = (body: string) => {
    let fastest = Infinity;
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      parseMarkdown(body);
      fastest = Math.min(fastest, performance.now() - started);
    }
    return fastest;
  };
  for (const unit of ['*a', '_*~~', '`a``', 'h(https://x.y_'] as const) {
    const small = 4000 / unit.length;
    timeOf(unit.repeat(small * 8)); // warm up
    const smallMs = timeOf(unit.repeat(small));
    const largeMs = timeOf(unit.repeat(small * 8));
    // 8× the input: linear takes ~8×, quadratic ~64×. Generous for a noisy machine.
    expect(largeMs, unit).toBeLessThan(Math.max(smallMs, 1) * 25);
  }
});

function depthOf(blocks: readonly MdBlock[]): number {
  const ofInline = (nodes: readonly MdInline[]): number => Math.max(0, ...nodes.map((n) => ('children' in n ? 1 + ofInline(n.children) : 0)));
  return Math.max(
    0,
    ...blocks.map((b) =>
      b.type === 'paragraph'
        ? ofInline(b.children)
        : b.type === 'quote'
          ? 1 + depthOf(b.children)
          : b.type === 'list'
            ? Math.max(0, ...b.items.map(ofInline))
            : 0,
    ),
  );
}

test('markdownToText drops the markers and keeps the words, on one line', () => {
  expect(markdownToText('**Ship** it `today`, ~~not~~ *later*')).toBe('Ship it today, not later');
  expect(markdownToText('> quoted\n- one\n- two\n```\ncode\n```')).toBe('quoted one two code');
  expect(markdownToText('see www.example.com')).toBe('see www.example.com');
  // An unbalanced marker (a snippet cut short) stays as it was typed.
  expect(markdownToText('**unfinished')).toBe('**unfinished');
});
