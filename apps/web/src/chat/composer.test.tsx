import { afterEach, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { Composer } from './composer.tsx';
import { MESSAGE_MAX_CHARS } from './message-draft.ts';

afterEach(cleanup);

function setup(props: { disabledReason?: string } = {}) {
  const onSend = vi.fn<(body: string) => void>();
  render(<Composer roomLabel="#general" onSend={onSend} {...props} />);
  const input = screen.getByLabelText<HTMLTextAreaElement>('Message #general');
  const button = screen.getByRole<HTMLButtonElement>('button', { name: 'Send' });
  return { onSend, input, button };
}

test('Send is disabled with a hint while the draft is empty or blank', () => {
  const { input, button } = setup();
  expect(button.disabled).toBe(true);
  expect(screen.getByText(/Type a message/)).toBeTruthy();
  fireEvent.change(input, { target: { value: '   ' } });
  expect(button.disabled).toBe(true);
});

test('Enter sends the trimmed message and clears the box', () => {
  const { onSend, input } = setup();
  fireEvent.change(input, { target: { value: '  hello there  ' } });
  fireEvent.keyDown(input, { key: 'Enter' });
  expect(onSend).toHaveBeenCalledWith('hello there');
  expect(input.value).toBe('');
});

test('Shift+Enter does not send', () => {
  const { onSend, input } = setup();
  fireEvent.change(input, { target: { value: 'line one' } });
  fireEvent.keyDown(input, { key: 'Enter', shiftKey: true });
  expect(onSend).not.toHaveBeenCalled();
  expect(input.value).toBe('line one');
});

test('Enter on an empty draft sends nothing', () => {
  const { onSend, input } = setup();
  fireEvent.keyDown(input, { key: 'Enter' });
  expect(onSend).not.toHaveBeenCalled();
});

test('near the limit the remaining characters show; over it sending is refused', () => {
  const { onSend, input, button } = setup();
  fireEvent.change(input, { target: { value: 'x'.repeat(MESSAGE_MAX_CHARS - 3) } });
  expect(screen.getByText('3 characters left')).toBeTruthy();
  expect(button.disabled).toBe(false);
  fireEvent.change(input, { target: { value: 'x'.repeat(MESSAGE_MAX_CHARS + 2) } });
  expect(screen.getByText('Too long by 2 characters.')).toBeTruthy();
  expect(button.disabled).toBe(true);
  fireEvent.keyDown(input, { key: 'Enter' });
  expect(onSend).not.toHaveBeenCalled();
});

test('a viewer sees why they cannot write', () => {
  const { input, button } = setup({ disabledReason: 'Viewers can read but not write here.' });
  expect(input.disabled).toBe(true);
  expect(button.disabled).toBe(true);
  expect(screen.getByText('Viewers can read but not write here.')).toBeTruthy();
});

test('every edit that leaves something to send tells onTyping; clearing the box does not', () => {
  const onTyping = vi.fn();
  render(<Composer roomLabel="#general" onSend={() => {}} onTyping={onTyping} />);
  const input = screen.getByLabelText('Message #general');
  fireEvent.change(input, { target: { value: 'h' } });
  fireEvent.change(input, { target: { value: 'hi' } });
  fireEvent.change(input, { target: { value: '  ' } });
  fireEvent.change(input, { target: { value: '' } });
  expect(onTyping).toHaveBeenCalledTimes(2);
});

test('replying shows “Replying to …” with ×; Escape or × stops it', () => {
  const onCancelReply = vi.fn();
  render(<Composer roomLabel="#general" onSend={() => {}} replyingTo={{ id: 'm1', authorName: 'Ada', snippet: 'shall we?' }} onCancelReply={onCancelReply} />);
  expect(screen.getByText(/^Replying to/).textContent).toBe('Replying to Ada: shall we?');
  fireEvent.keyDown(screen.getByLabelText('Message #general'), { key: 'Escape' });
  fireEvent.click(screen.getByRole('button', { name: 'Cancel reply' }));
  expect(onCancelReply).toHaveBeenCalledTimes(2);
});

test('Up-arrow asks to edit the last message only when the box is empty', () => {
  const onEditLast = vi.fn(() => true);
  render(<Composer roomLabel="#general" onSend={() => {}} onEditLast={onEditLast} />);
  const input = screen.getByLabelText('Message #general');
  fireEvent.change(input, { target: { value: 'draft' } });
  fireEvent.keyDown(input, { key: 'ArrowUp' });
  expect(onEditLast).not.toHaveBeenCalled();
  fireEvent.change(input, { target: { value: '' } });
  fireEvent.keyDown(input, { key: 'ArrowUp', shiftKey: true });
  expect(onEditLast).not.toHaveBeenCalled();
  fireEvent.keyDown(input, { key: 'ArrowUp' });
  expect(onEditLast).toHaveBeenCalledTimes(1);
});
