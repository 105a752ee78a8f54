/**
 * Parley's message formatting: a small, safe Markdown subset, parsed to a tree any renderer can
 * walk (the SPA's `<MessageBody>`, a terminal client, a bot). Nothing here produces HTML: text
 * stays text, so `<script>` in a message is shown as typed, and only `http:`, `https:` and
 * `mailto:` addresses become links (`javascript:`, `data:`, `vbscript:` never do, and
 * `[text](url)` is not a link form at all: what a link says is always where it goes).
 *
 * Every step moves forward through the text (a line, a character), and the search for an
 * opening marker is bounded ({@link MAX_OPEN_MARKERS}), so parsing is linear in the length of
 * the body whatever its markers.
 */
import { MENTION_ROOM, mentionAt } from '@parley/rules';

/** Inline content of a paragraph, a list item or a quote's paragraph. */
export type MdInline =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'strong'; readonly children: readonly MdInline[] }
  | { readonly type: 'em'; readonly children: readonly MdInline[] }
  | { readonly type: 'strike'; readonly children: readonly MdInline[] }
  | { readonly type: 'code'; readonly text: string }
  /** `href` is always `http:`, `https:` or `mailto:`; `text` is the address as written. */
  | { readonly type: 'link'; readonly href: string; readonly text: string }
  /** `<@userId>` (`target` the user id) or `@room` (`target` `'room'`): see `@parley/rules` mentions. */
  | { readonly type: 'mention'; readonly target: string };

/** A block of a message. Line breaks inside a paragraph or list item are kept as `\n` in text. */
export type MdBlock =
  | { readonly type: 'paragraph'; readonly children: readonly MdInline[] }
  | { readonly type: 'code'; readonly lang: string | null; readonly text: string }
  | { readonly type: 'quote'; readonly children: readonly MdBlock[] }
  | { readonly type: 'list'; readonly ordered: boolean; readonly start: number; readonly items: readonly (readonly MdInline[])[] };

/** Quotes inside quotes deeper than this stay text (`>` shown as typed). */
const MAX_QUOTE_DEPTH = 3;
/**
 * Unclosed emphasis markers kept as candidates at once: bounds both the search for an opener
 * (so hostile runs of `*` stay linear) and how deep emphasis can nest.
 */
const MAX_OPEN_MARKERS = 32;
/** Emphasis inside emphasis deeper than this stays text: a renderer may walk the tree recursively. */
const MAX_INLINE_DEPTH = 12;

const FENCE = /^ {0,3}(`{3,})[ \t]*([^`]*)$/;
const BULLET = /^ {0,3}[-*][ \t]+(\S.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)][ \t]+(\S.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LANG = /^[\w+#.-]{1,32}$/;

/**
 * Parses a message body into blocks: paragraphs, fenced code blocks (```` ```lang ````), block
 * quotes (`> `), bullet lists (`- ` or `* `) and numbered lists (`1. `), with inline **bold**
 * (`**`/`__`), *italic* (`*`/`_`), ~~strike~~, `` `code` `` and auto-linked addresses
 * (`http://…`, `https://…`, `www.…`, `mailto:…`; trailing `.`, `,`, `)` and the like are left
 * out). A backslash keeps the next marker literal (`\*`). Pure and dependency-free.
 *
 * @example
 * ```ts
 * parseMarkdown('Hi **Ada**, see www.example.com.');
 * // [{ type: 'paragraph', children: [
 * //   { type: 'text', text: 'Hi ' },
 * //   { type: 'strong', children: [{ type: 'text', text: 'Ada' }] },
 * //   { type: 'text', text: ', see ' },
 * //   { type: 'link', href: 'https://www.example.com', text: 'www.example.com' },
 * //   { type: 'text', text: '.' },
 * // ] }]
 * ```
 */
export function parseMarkdown(body: string): MdBlock[] {
  return parseBlocks(body.replace(/\r\n?/g, '\n').split('\n'), 0);
}

function parseBlocks(lines: readonly string[], depth: number): MdBlock[] {
  const blocks: MdBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.trim()) {
      i++;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence) {
      const ticks = fence[1]!.length;
      const info = fence[2]!.trim().split(/\s/, 1)[0] ?? '';
      const lang = LANG.test(info) ? info : null;
      const code: string[] = [];
      i++;
      // An unclosed fence runs to the end of the message, as in CommonMark.
      while (i < lines.length && !isClosingFence(lines[i]!, ticks)) code.push(lines[i++]!);
      i++;
      blocks.push({ type: 'code', lang, text: code.join('\n') });
      continue;
    }

    if (depth < MAX_QUOTE_DEPTH && QUOTE.test(line)) {
      const quoted: string[] = [];
      let match: RegExpExecArray | null;
      while (i < lines.length && (match = QUOTE.exec(lines[i]!))) {
        quoted.push(match[1]!);
        i++;
      }
      blocks.push({ type: 'quote', children: parseBlocks(quoted, depth + 1) });
      continue;
    }

    const item = listItem(line);
    if (item) {
      const items: MdInline[][] = [];
      const texts = [item.text];
      i++;
      for (; i < lines.length; i++) {
        const next = lines[i]!;
        if (!next.trim()) break;
        const nextItem = listItem(next);
        if (nextItem) {
          if (nextItem.ordered !== item.ordered) break;
          items.push(parseInline(texts.join('\n')));
          texts.length = 0;
          texts.push(nextItem.text);
        } else if (/^[ \t]/.test(next) && !startsBlock(next, depth)) {
          // An indented line continues the item above it.
          texts.push(next.trim());
        } else {
          break;
        }
      }
      items.push(parseInline(texts.join('\n')));
      blocks.push({ type: 'list', ordered: item.ordered, start: item.start, items });
      continue;
    }

    const paragraph = [line];
    i++;
    while (i < lines.length && lines[i]!.trim() && !startsBlock(lines[i]!, depth)) paragraph.push(lines[i++]!);
    blocks.push({ type: 'paragraph', children: parseInline(paragraph.join('\n')) });
  }
  return blocks;
}

function isClosingFence(line: string, ticks: number): boolean {
  const trimmed = line.trim();
  return trimmed.length >= ticks && /^`+$/.test(trimmed) && line.length - line.trimStart().length <= 3;
}

function listItem(line: string): { ordered: boolean; start: number; text: string } | null {
  const bullet = BULLET.exec(line);
  if (bullet) return { ordered: false, start: 1, text: bullet[1]! };
  const numbered = NUMBERED.exec(line);
  if (numbered) return { ordered: true, start: Number(numbered[1]), text: numbered[2]! };
  return null;
}

function startsBlock(line: string, depth: number): boolean {
  return FENCE.test(line) || (depth < MAX_QUOTE_DEPTH && QUOTE.test(line)) || listItem(line) !== null;
}

// ---------------------------------------------------------------------------------------------
// Inline

/** A run of `*`, `_` or `~~` not (yet) matched, whose text node shrinks as it is used. */
interface Marker {
  readonly char: '*' | '_' | '~';
  count: number;
  readonly node: { type: 'text'; text: string };
  /** Where its text node sits in the output list. */
  readonly index: number;
}

type MutableInline = MdInline | { type: 'text'; text: string };

const ESCAPABLE = new Set([...'\\`*_~>#-+.![]()']);
const LINK_STOP = /[\s<>"`]/;
const TRAILING_PUNCTUATION = new Set([...'.,:;!?\'"*_~']);
const WORD = /[\p{L}\p{N}]/u;
const BEFORE_LINK = /[\s*_~(["'<>]/;

function parseInline(text: string): MdInline[] {
  const out: MutableInline[] = [];
  const open: Marker[] = [];
  const closers = backtickRuns(text);
  /** How deep each node of `out` nests (text, code and links: 0), index for index. */
  const depth: number[] = [];
  const state = { out, open, depth };
  const push = (node: MutableInline) => {
    out.push(node);
    depth.push(0);
  };
  let plainFrom = 0;
  let i = 0;

  const flush = (to: number) => {
    if (to > plainFrom) push({ type: 'text', text: text.slice(plainFrom, to) });
  };

  while (i < text.length) {
    const c = text[i]!;

    if (c === '\\' && i + 1 < text.length && ESCAPABLE.has(text[i + 1]!)) {
      flush(i);
      plainFrom = i + 1;
      i += 2;
      continue;
    }

    if (c === '`') {
      const len = runLength(text, i, '`');
      const end = closers.next(len, i + len);
      flush(i);
      if (end === null) {
        push({ type: 'text', text: text.slice(i, i + len) });
        i += len;
      } else {
        push({ type: 'code', text: trimCode(text.slice(i + len, end)) });
        i = end + len;
      }
      plainFrom = i;
      continue;
    }

    if (c === '*' || c === '_' || c === '~') {
      const len = runLength(text, i, c);
      if (c === '~' && len !== 2) {
        i += len;
        continue;
      }
      flush(i);
      emphasis(text, i, len, c, state);
      i += len;
      plainFrom = i;
      continue;
    }

    if (c === '<' || c === '@') {
      const mention = mentionAt(text, i);
      if (mention) {
        flush(i);
        push({ type: 'mention', target: mention.target });
        i = mention.end;
        plainFrom = i;
        continue;
      }
    }

    const link = linkAt(text, i);
    if (link?.node) {
      flush(i);
      push(link.node);
      i = link.end;
      plainFrom = i;
      continue;
    }
    // A refused address is text up to where it would have ended: not scanned again from each
    // of its characters.
    i = link ? link.end : i + 1;
  }
  flush(text.length);
  return normalize(out);
}

/**
 * A run of `*`/`_`/`~~` at `at`: closes the nearest open run of the same marker when it can
 * (wrapping everything since then), and is kept as a candidate opener when it can open.
 */
function emphasis(text: string, at: number, len: number, char: Marker['char'], state: { out: MutableInline[]; open: Marker[]; depth: number[] }): void {
  const { out, open, depth } = state;
  const before = text[at - 1];
  const after = text[at + len];
  const spaceBefore = before === undefined || /\s/.test(before);
  const spaceAfter = after === undefined || /\s/.test(after);
  let canOpen = !spaceAfter;
  let canClose = !spaceBefore;
  if (char === '_') {
    // snake_case_names are not emphasis.
    canOpen &&= before === undefined || !WORD.test(before);
    canClose &&= after === undefined || !WORD.test(after);
  }

  let remaining = len;
  while (canClose && remaining > 0) {
    let k = open.length - 1;
    while (k >= 0 && open[k]!.char !== char) k--;
    if (k < 0) break;
    const opener = open[k]!;
    const wrapperDepth = depthAfter(depth, opener.index);
    if (wrapperDepth > MAX_INLINE_DEPTH) {
      // Any opener at or below this one would wrap the same content: none of them can be used.
      open.length = k;
      break;
    }
    const use = char === '~' ? 2 : remaining >= 2 && opener.count >= 2 ? 2 : 1;
    const type = char === '~' ? 'strike' : use === 2 ? 'strong' : 'em';
    const children = normalize(out.slice(opener.index + 1));
    out.length = opener.index + 1;
    depth.length = opener.index + 1;
    // Markers between the two are text now.
    open.length = k + 1;
    opener.count -= use;
    remaining -= use;
    opener.node.text = char.repeat(opener.count);
    if (children.length === 0) {
      // `****` is not an empty bold: put the markers back as text.
      out.push({ type: 'text', text: char.repeat(use * 2) });
      depth.push(0);
    } else {
      out.push({ type, children });
      depth.push(wrapperDepth);
    }
    if (opener.count === 0) {
      // Its text is used up; what it wrapped takes its place.
      out[opener.index] = out.pop()!;
      depth[opener.index] = depth.pop()!;
      open.pop();
    }
  }
  if (remaining === 0) return;
  const node = { type: 'text' as const, text: char.repeat(remaining) };
  out.push(node);
  depth.push(0);
  if (canOpen && open.length < MAX_OPEN_MARKERS) open.push({ char, count: remaining, node, index: out.length - 1 });
}

/** How deep a node wrapping the nodes after `from` would nest, given each node's depth. */
function depthAfter(depth: readonly number[], from: number): number {
  let max = 0;
  for (let k = from + 1; k < depth.length; k++) max = Math.max(max, depth[k]!);
  return max + 1;
}

/** Joins neighbouring text and drops empty text (the used-up markers). */
function normalize(nodes: readonly MutableInline[]): MdInline[] {
  const result: MdInline[] = [];
  for (const node of nodes) {
    if (node.type !== 'text') {
      result.push(node);
      continue;
    }
    if (!node.text) continue;
    const last = result.at(-1);
    if (last?.type === 'text') result[result.length - 1] = { type: 'text', text: last.text + node.text };
    else result.push({ type: 'text', text: node.text });
  }
  return result;
}

function runLength(text: string, at: number, char: string): number {
  let end = at;
  while (text[end] === char) end++;
  return end - at;
}

/** CommonMark: one space on both sides of a code span's content is padding. */
function trimCode(code: string): string {
  return code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim() ? code.slice(1, -1) : code;
}

/**
 * The backtick runs of a text by length, each searched forward only: finding the closing run
 * for each opening one costs, over the whole text, one pass.
 */
function backtickRuns(text: string): { next(len: number, from: number): number | null } {
  const byLength = new Map<number, number[]>();
  for (let i = text.indexOf('`'); i !== -1; i = text.indexOf('`', i)) {
    const len = runLength(text, i, '`');
    let list = byLength.get(len);
    if (!list) byLength.set(len, (list = []));
    list.push(i);
    i += len;
  }
  const cursor = new Map<number, number>();
  return {
    next(len, from) {
      const list = byLength.get(len);
      if (!list) return null;
      let c = cursor.get(len) ?? 0;
      while (c < list.length && list[c]! < from) c++;
      cursor.set(len, c);
      return c < list.length ? list[c]! : null;
    },
  };
}

/**
 * An address starting at `at`, without trailing punctuation; `node: null` with where it would
 * have ended when it looked like one but is not; null when nothing starts here.
 */
function linkAt(text: string, at: number): { node: MdInline | null; end: number } | null {
  const c = text[at];
  if (c !== 'h' && c !== 'H' && c !== 'w' && c !== 'W' && c !== 'm' && c !== 'M') return null;
  const before = text[at - 1];
  if (before !== undefined && !BEFORE_LINK.test(before)) return null;
  const head = text.slice(at, at + 8).toLowerCase();
  const prefix = head.startsWith('https://')
    ? 'https://'
    : head.startsWith('http://')
      ? 'http://'
      : head.startsWith('www.')
        ? 'www.'
        : head.startsWith('mailto:')
          ? 'mailto:'
          : null;
  if (!prefix) return null;
  const first = text[at + prefix.length];
  if (first === undefined || !WORD.test(first)) return null;

  let end = at + prefix.length;
  while (end < text.length && !LINK_STOP.test(text[end]!)) end++;
  // Trailing punctuation ends the sentence, not the address; a `)` only when unbalanced
  // (https://en.wikipedia.org/wiki/Parley_(disambiguation) keeps its own).
  let opens = 0;
  let closes = 0;
  for (let k = at; k < end; k++) {
    if (text[k] === '(') opens++;
    else if (text[k] === ')') closes++;
  }
  while (end > at + prefix.length) {
    const last = text[end - 1]!;
    if (TRAILING_PUNCTUATION.has(last)) end--;
    else if (last === ')' && closes > opens) {
      end--;
      closes--;
    } else break;
  }
  const written = text.slice(at, end);
  const rest = written.slice(prefix.length);
  const href = prefix === 'www.' ? `https://${written}` : prefix + rest;
  if ((prefix === 'mailto:' && !/^[^@]+@[^@]+$/.test(rest)) || !isSafeHref(href)) return { node: null, end };
  return { node: { type: 'link', href, text: written }, end };
}

/** The schemes a link may have: a last check, whatever made the address. */
function isSafeHref(href: string): boolean {
  return /^(https?:\/\/|mailto:)/.test(href);
}

type NameOf = (userId: string) => string | null | undefined;

function inlineText(nodes: readonly MdInline[], nameOf: NameOf | undefined): string {
  return nodes
    .map((n) => {
      if (n.type === 'mention') return n.target === MENTION_ROOM ? '@room' : `@${nameOf?.(n.target) ?? 'someone'}`;
      return 'children' in n ? inlineText(n.children, nameOf) : n.text;
    })
    .join('');
}

function blockText(block: MdBlock, nameOf: NameOf | undefined): string {
  if (block.type === 'paragraph') return inlineText(block.children, nameOf);
  if (block.type === 'code') return block.text;
  if (block.type === 'quote') return block.children.map((b) => blockText(b, nameOf)).join(' ');
  return block.items.map((item) => inlineText(item, nameOf)).join(' ');
}

/**
 * The text of a message without its Markdown markers, on one line: for quotes of it (a reply's
 * snippet, "Replying to …"), notifications and previews.
 *
 * @example
 * ```ts
 * markdownToText('**Ship** it `today`'); // 'Ship it today'
 * markdownToText('hi <@u1>', (id) => names.get(id)); // 'hi @Ada' (without names: '@someone')
 * ```
 */
export function markdownToText(body: string, nameOf?: NameOf): string {
  return parseMarkdown(body)
    .map((b) => blockText(b, nameOf))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}
