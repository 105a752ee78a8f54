import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { TRPCError } from '@trpc/server';
import { ACME, GENERAL, MockParley, RANDOM } from '../test/msw-server.ts';
import { renderApp } from '../test/render-app.tsx';

const LONG = 'quarterly-planning-and-budget-review-2025-emea';
let parley: MockParley;

afterEach(async () => {
  cleanup();
  await parley.close();
});

test('a long room name without spaces can wrap, says itself whole in its title, and keeps its Join button', async () => {
  parley = new MockParley({
    partitions: [{ partition: ACME, rooms: [GENERAL, RANDOM, { ...RANDOM, id: '0197a000-0000-7000-8000-0000000000e3', name: LONG, joined: false }] }],
  });
  parley.listen();
  renderApp({ parley, hash: '#/w/acme/browse' });
  const join = await screen.findByRole('button', { name: `Join #${LONG}` });
  const item = join.closest('li')!;
  const name = within(item).getByTitle(`#${LONG}`);
  // The text can shrink and wrap beside the button; the button itself never shrinks.
  expect(name.closest('.browse-item-text')).not.toBeNull();
  expect(join.parentElement).toBe(item);
});

test('a refused room name shows at the name field, tied to it', async () => {
  parley = new MockParley({ partitions: [{ partition: ACME, rooms: [GENERAL, RANDOM] }] });
  parley.listen();
  parley.use(
    parley.trpc.room.create.mutation(() => {
      throw Object.assign(new TRPCError({ code: 'BAD_REQUEST', message: 'name: A room name cannot contain control characters.' }), {
        fieldErrors: { name: ['A room name cannot contain control characters.'] },
      });
    }),
  );
  renderApp({ parley, hash: '#/w/acme/browse' });
  const input = await screen.findByLabelText('New room name');
  fireEvent.change(input, { target: { value: 'bad\u0007name' } });
  fireEvent.click(screen.getByRole('button', { name: 'Create' }));
  await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
  expect(document.getElementById(input.getAttribute('aria-describedby')!)?.textContent).toBe('A room name cannot contain control characters.');
  expect(screen.queryByRole('alert')).toBeNull();
});
