import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { PROFILE_REFUSAL } from '@parley/client';
import { ADA, BOB, MockParley } from '../test/msw-server.ts';
import { renderLiveGeneral } from '../test/render-app.tsx';

let parley: MockParley;
afterEach(async () => {
  cleanup();
  await parley.close();
});

function start() {
  parley = new MockParley();
  parley.listen();
}

const sidebar = () => screen.getByRole('complementary', { name: 'Workspace' });
const dialog = () => screen.getByRole('dialog', { name: 'Your profile' });
const field = (name: string) => within(dialog()).getByLabelText(name);
const messageRow = (text: string) => screen.getByText(text).closest('li')!;
const png = () => new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'me.png', { type: 'image/png' });

async function openDialog() {
  const reads = parley.callsTo('profile.mine').length;
  fireEvent.click(within(sidebar()).getByRole('button', { name: /^Edit your profile/ }));
  await screen.findByRole('dialog', { name: 'Your profile' });
  // The dialog reads my profile from the server when it opens.
  await waitFor(() => expect(parley.callsTo('profile.mine')).toHaveLength(reads + 1));
}

test('the profile dialog refuses bad input at the field, then saves name, status and picture; everything of mine shows them', async () => {
  start();
  await renderLiveGeneral({ parley });
  parley.post('an old message of mine', { author: ADA });
  await screen.findByText('an old message of mine');
  await openDialog();

  // Checked before a round trip, in the server's words, next to the field.
  fireEvent.change(field('Status'), { target: { value: 'x'.repeat(81) } });
  fireEvent.change(field('Display name'), { target: { value: '   ' } });
  fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
  expect(await within(dialog()).findByText(PROFILE_REFUSAL.displayNameEmpty)).toBeTruthy();
  expect(within(dialog()).getByText(PROFILE_REFUSAL.statusTooLong)).toBeTruthy();
  expect(field('Display name').getAttribute('aria-invalid')).toBe('true');
  expect(field('Status').getAttribute('aria-invalid')).toBe('true');
  expect(parley.callsTo('profile.update')).toEqual([]);

  // A picture of the wrong type is refused at once; one the server refuses says why there too.
  fireEvent.change(field('Profile picture'), { target: { files: [new File(['<svg/>'], 'x.svg', { type: 'image/svg+xml' })] } });
  expect(await within(dialog()).findByText('Choose a JPEG, PNG, GIF or WebP image.')).toBeTruthy();
  fireEvent.change(field('Display name'), { target: { value: '  Ada Lovelace ' } });
  fireEvent.change(field('Status'), { target: { value: 'Computing' } });
  fireEvent.change(field('Profile picture'), { target: { files: [png()] } });
  // A preview of the chosen image before anything is uploaded.
  expect(dialog().querySelector('.profile-avatar-field img.avatar')?.getAttribute('src')).toMatch(/^blob:/);
  expect(parley.profiles.uploads).toEqual([]);
  parley.profiles.refuseNextUpload = { status: 413, message: 'An avatar can be at most 5 MB.' };
  fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
  expect(await within(dialog()).findByText('An avatar can be at most 5 MB.')).toBeTruthy();
  expect(parley.callsTo('profile.update')).toEqual([]);

  fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
  await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Your profile' })).toBeNull());
  expect(parley.profiles.uploads).toEqual(['image/png', 'image/png']);
  expect(parley.callsTo('profile.update')).toEqual([
    { displayName: 'Ada Lovelace', status: 'Computing', avatarId: 'av-1', opId: expect.any(String) as string },
  ]);

  // The sidebar, the member list and my old message say so, without a reload.
  await waitFor(() => expect(within(sidebar()).getByRole('button', { name: 'Edit your profile (Ada Lovelace)' })).toBeTruthy());
  expect(within(sidebar()).getAllByText('Computing').length).toBeGreaterThan(0);
  await waitFor(() => expect(within(messageRow('an old message of mine')).getByText('Ada Lovelace')).toBeTruthy());
  expect(messageRow('an old message of mine').querySelector('img.avatar')?.getAttribute('src')).toBe('http://localhost:3000/avatar/av-1');
});

test('Cancel and Escape close the dialog and change nothing; removing the picture goes back to the initial', async () => {
  start();
  await renderLiveGeneral({ parley });
  await openDialog();
  fireEvent.change(field('Status'), { target: { value: 'Never saved' } });
  fireEvent.click(within(dialog()).getByRole('button', { name: 'Cancel' }));
  expect(screen.queryByRole('dialog')).toBeNull();
  await openDialog();
  fireEvent.keyDown(dialog(), { key: 'Escape' });
  expect(screen.queryByRole('dialog')).toBeNull();
  expect(parley.callsTo('profile.update')).toEqual([]);

  // With a picture: Remove, Save → avatarId null, and the initial is back.
  parley.profiles.avatars.set('av-9', ADA.id);
  parley.profiles.changeAs(ADA.id, { avatarId: 'av-9' });
  await waitFor(() =>
    expect(
      within(sidebar())
        .getByRole('button', { name: /^Edit your profile/ })
        .querySelector('img.avatar'),
    ).not.toBeNull(),
  );
  await openDialog();
  fireEvent.click(within(dialog()).getByRole('button', { name: 'Remove picture' }));
  fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
  await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  expect(parley.callsTo('profile.update')).toEqual([{ avatarId: null, opId: expect.any(String) as string }]);
  await waitFor(() =>
    expect(
      within(sidebar())
        .getByRole('button', { name: /^Edit your profile/ })
        .querySelector('img.avatar'),
    ).toBeNull(),
  );
});

test("someone else's new name, status and picture show on their old messages and in the member list, live", async () => {
  start();
  await renderLiveGeneral({ parley });
  parley.post('hello from bob');
  await screen.findByText('hello from bob');
  expect(within(messageRow('hello from bob')).getByText('Bob')).toBeTruthy();

  parley.profiles.changeAs(BOB.id, { displayName: 'Robert', status: 'On call', avatarId: 'av-bob' });

  await waitFor(() => expect(within(messageRow('hello from bob')).getByText('Robert')).toBeTruthy());
  expect(messageRow('hello from bob').querySelector('img.avatar')?.getAttribute('src')).toBe('http://localhost:3000/avatar/av-bob');
  const members = within(sidebar()).getByRole('group');
  await waitFor(() => expect(within(members).getByText('Robert')).toBeTruthy());
  expect(within(members).getByText('On call')).toBeTruthy();
});
