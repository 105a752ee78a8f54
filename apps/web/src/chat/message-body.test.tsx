import { afterEach, expect, test } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { MessageBody } from './message-body.tsx';

afterEach(cleanup);

function show(body: string) {
  const { container } = render(<MessageBody className="message-body" body={body} trailing={<span data-testid="status" />} />);
  return container.querySelector('.message-body')!;
}

test('formatting shows as bold, italic, struck-through and code; the text reads as written without markers', () => {
  const body = show('**bold** *it* ~~gone~~ `x < y`');
  expect(body.querySelector('strong')?.textContent).toBe('bold');
  expect(body.querySelector('em')?.textContent).toBe('it');
  expect(body.querySelector('del')?.textContent).toBe('gone');
  expect(body.querySelector('code')?.textContent).toBe('x < y');
  expect(body.textContent).toBe('bold it gone x < y');
});

test('addresses are links that open in a new tab without handing over the page', () => {
  show('see https://example.com/docs. or www.example.org');
  const links = screen.getAllByRole('link');
  expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://example.com/docs', 'https://www.example.org']);
  for (const a of links) {
    expect(a.getAttribute('target')).toBe('_blank');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
  }
  expect(links[0]!.textContent).toBe('https://example.com/docs');
});

test('HTML in a message is shown as text, and javascript: is never a link', () => {
  const body = show('<script>alert(1)</script><img src=x onerror="alert(1)"> [x](javascript:alert(1)) javascript:alert(2)');
  expect(body.querySelector('script, img')).toBeNull();
  expect(screen.queryAllByRole('link')).toEqual([]);
  expect(body.textContent).toBe('<script>alert(1)</script><img src=x onerror="alert(1)"> [x](javascript:alert(1)) javascript:alert(2)');
  for (const a of document.querySelectorAll('a')) expect(a.getAttribute('href')).toMatch(/^(https?:|mailto:)/);
});

test('code blocks, quotes and lists are their own blocks, each with dir="auto"', () => {
  const body = show('intro\n```js\nlet a = 1;\n```\n> quoted\n\n- one\n- two\n\n3. three\n4. four');
  expect(body.querySelector('pre code')?.textContent).toBe('let a = 1;');
  expect(body.querySelector('pre')?.getAttribute('data-lang')).toBe('js');
  expect(body.querySelector('blockquote')?.textContent).toBe('quoted');
  expect([...body.querySelectorAll('ul > li')].map((li) => li.textContent)).toEqual(['one', 'two']);
  expect(body.querySelector('ol')?.getAttribute('start')).toBe('3');
  for (const block of body.children) {
    if (block.getAttribute('data-testid') === 'status') continue;
    expect(block.getAttribute('dir'), block.outerHTML).toBe('auto');
  }
});

test('a right-to-left message gets dir="auto" on its paragraph; the status icon follows the last paragraph', () => {
  const body = show('שלום עולם\n\nمرحبا');
  const paragraphs = body.querySelectorAll('p');
  expect(paragraphs).toHaveLength(2);
  expect(paragraphs[1]!.getAttribute('dir')).toBe('auto');
  expect(paragraphs[1]!.querySelector('[data-testid="status"]')).not.toBeNull();
});

test('after a code block the status icon comes after the block, once', () => {
  const body = show('```\ncode\n```');
  expect(body.querySelectorAll('[data-testid="status"]')).toHaveLength(1);
  expect(body.lastElementChild?.getAttribute('data-testid')).toBe('status');
});
