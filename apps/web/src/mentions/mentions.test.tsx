import { afterEach, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { Composer } from '../chat/composer.tsx';
import { MessageBody } from '../chat/message-body.tsx';
import { MessageEditForm } from '../chat/message-edit-form.tsx';
import { MentionContext, type MentionScopeValue } from './mention-context.tsx';

afterEach(cleanup);
// Avatars need the whole client (profiles); these tests are about the text.
vi.mock('../profile/person.tsx', () => ({ PersonAvatar: () => null }));

const names = new Map([
  ['u-ada', 'Ada Lovelace'],
  ['u-alan', 'Alan Turing'],
  ['u-grace', 'Grace Hopper'],
  ['u-me', 'Me'],
]);
const scope = (allowRoom = true): MentionScopeValue => ({
  meId: 'u-me',
  nameOf: (id) => names.get(id),
  candidates: [...names].map(([userId, displayName]) => ({ userId, displayName })),
  allowRoom,
});

function setup(allowRoom = true) {
  const onSend = vi.fn<(body: string) => void>();
  render(
    <MentionContext.Provider value={scope(allowRoom)}>
      <Composer roomLabel="#general" onSend={onSend} />
    </MentionContext.Provider>,
  );
  const input = screen.getByLabelText<HTMLTextAreaElement>('Message #general');
  const type = (value: string) => fireEvent.change(input, { target: { value } });
  const options = () => screen.queryAllByRole('option').map((o) => o.textContent);
  return { onSend, input, type, options };
}

test('@ lists the room’s members (not me) as I type; arrows and Enter insert the name; the token is sent', () => {
  const { onSend, input, type, options } = setup();
  type('hi @');
  expect(options()).toEqual(['@Ada Lovelace', '@Alan Turing', '@Grace Hopper', '@room everyone in this room']);
  expect(input.getAttribute('aria-expanded')).toBe('true');
  type('hi @a');
  expect(options()).toEqual(['@Ada Lovelace', '@Alan Turing']);
  fireEvent.keyDown(input, { key: 'ArrowDown' });
  expect(screen.getByRole('option', { selected: true }).textContent).toBe('@Alan Turing');
  fireEvent.keyDown(input, { key: 'Enter' });
  // Enter chose; it did not send.
  expect(onSend).not.toHaveBeenCalled();
  expect(input.value).toBe('hi @Alan Turing ');
  expect(options()).toEqual([]);
  type('hi @Alan Turing and @gr');
  fireEvent.keyDown(input, { key: 'Tab' });
  expect(input.value).toBe('hi @Alan Turing and @Grace Hopper ');
  fireEvent.keyDown(input, { key: 'Enter' });
  expect(onSend).toHaveBeenCalledWith('hi <@u-alan> and <@u-grace>');
});

test('typing right after choosing, before the next frame, keeps the caret where the typing left it', () => {
  const frames: FrameRequestCallback[] = [];
  const raf = vi.spyOn(window, 'requestAnimationFrame').mockImplementation((callback) => frames.push(callback));
  try {
    const { input, type } = setup();
    type('hi @gr');
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(input.value).toBe('hi @Grace Hopper ');
    // A key lands before the frame that places the caret after the name.
    type('hi @Grace Hopper p');
    input.setSelectionRange(input.value.length, input.value.length);
    for (const frame of frames.splice(0)) frame(0);
    expect(input.selectionStart).toBe('hi @Grace Hopper p'.length);
  } finally {
    raf.mockRestore();
  }
});

test('Escape closes the suggestions and the next Enter sends the text as typed', () => {
  const { onSend, input, type, options } = setup();
  type('mail @ad');
  expect(options()).toEqual(['@Ada Lovelace']);
  fireEvent.keyDown(input, { key: 'Escape' });
  expect(options()).toEqual([]);
  fireEvent.keyDown(input, { key: 'Enter' });
  expect(onSend).toHaveBeenCalledWith('mail @ad');
});

test('@room is offered only where I may use it', () => {
  const { type, options } = setup(false);
  type('@r');
  expect(options()).toEqual([]);
});

test('mentions render as @Name chips; mine and @room stand out', () => {
  render(
    <MentionContext.Provider value={scope()}>
      <MessageBody body={'hey <@u-ada>, <@u-me> and @room; `<@u-ada>` <@u-gone>'} />
    </MentionContext.Provider>,
  );
  const chips = [...document.querySelectorAll('.mention')].map((c) => [c.textContent, c.classList.contains('mention-me')]);
  expect(chips).toEqual([
    ['@Ada Lovelace', false],
    ['@Me', true],
    ['@room', true],
    ['@someone', false],
  ]);
  expect(document.querySelector('code')?.textContent).toBe('<@u-ada>');
});

test('editing shows mentions as names and saves them as tokens again', () => {
  const onSave = vi.fn<(body: string) => void>();
  render(
    <MentionContext.Provider value={scope()}>
      <MessageEditForm initial="<@u-ada> see <@u-gone>" onSave={onSave} onCancel={() => {}} />
    </MentionContext.Provider>,
  );
  const field = screen.getByRole<HTMLTextAreaElement>('textbox');
  expect(field.value).toBe('@Ada Lovelace see <@u-gone>');
  fireEvent.change(field, { target: { value: '@Ada Lovelace see <@u-gone>, thanks' } });
  fireEvent.keyDown(field, { key: 'Enter' });
  expect(onSave).toHaveBeenCalledWith('<@u-ada> see <@u-gone>, thanks');
});
