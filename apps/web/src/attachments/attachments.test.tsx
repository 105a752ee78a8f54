import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { MEDIA_MAX_BYTES_DEFAULT } from '@parley/client';
import { ACME, MockParley } from '../test/msw-server.ts';
import { renderLiveGeneral } from '../test/render-app.tsx';

let parley: MockParley;
afterEach(async () => {
  cleanup();
  await parley.close();
});

async function start() {
  parley = new MockParley();
  parley.listen();
  return renderLiveGeneral({ parley });
}

const composer = () => screen.getByLabelText<HTMLTextAreaElement>('Message #general');

/** Picks files with the paperclip's file picker. */
function pick(...files: File[]) {
  fireEvent.change(screen.getByTestId('attach-input'), { target: { files } });
}

const png = (name = 'cat.png') => new File([new Uint8Array([137, 80, 78, 71, 1, 2, 3, 4])], name, { type: 'image/png' });

test('picking an image: it waits in the composer, Send uploads it with progress, then the message shows its thumbnail that opens full size', async () => {
  await start();
  const release = parley.media.hold();
  fireEvent.click(screen.getByRole('button', { name: 'Attach a file' }));
  pick(png());
  expect(within(screen.getByRole('group', { name: 'Attachment' })).getByText('cat.png')).toBeTruthy();
  // With a file, an empty text may be sent.
  expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send' }).disabled).toBe(false);
  fireEvent.change(composer(), { target: { value: 'my cat' } });
  fireEvent.keyDown(composer(), { key: 'Enter' });

  // On its way: the upload's progress and a Cancel, the composer empty again.
  expect(await screen.findByRole('progressbar', { name: 'Uploading cat.png' })).toBeTruthy();
  expect(screen.getByRole('button', { name: 'Cancel upload' })).toBeTruthy();
  expect(screen.queryByRole('group', { name: 'Attachment' })).toBeNull();
  expect(parley.sendRequests).toEqual([]);

  release();
  const open = await screen.findByRole('button', { name: 'Open cat.png full size' });
  const [mediaId] = parley.media.uploads;
  expect(parley.sendRequests).toMatchObject([{ body: 'my cat', mediaId }]);
  const thumb = within(open).getByRole<HTMLImageElement>('img', { name: 'cat.png' });
  expect(thumb.getAttribute('src')).toBe(`http://localhost:3000/media/${ACME.id}/${mediaId}/thumb`);
  // The box is reserved from the image's size (640×480), so the list does not jump when it loads.
  expect([thumb.getAttribute('width'), thumb.getAttribute('height')]).toEqual(['240', '180']);
  expect(screen.queryByRole('progressbar')).toBeNull();

  fireEvent.click(open);
  const dialog = await screen.findByRole('dialog', { name: 'cat.png' });
  expect(within(dialog).getByRole<HTMLImageElement>('img', { name: 'cat.png' }).getAttribute('src')).toBe(`http://localhost:3000/media/${ACME.id}/${mediaId}`);
  fireEvent.keyDown(within(dialog).getByRole('button', { name: 'Close' }), { key: 'Escape' });
  await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  expect(parley.media.uploads).toHaveLength(1);
});

test('Cancel upload stops it: the message goes away and is never sent', async () => {
  await start();
  const release = parley.media.hold();
  pick(png('big.png'));
  fireEvent.click(screen.getByRole('button', { name: 'Send' }));
  fireEvent.click(await screen.findByRole('button', { name: 'Cancel upload' }));
  await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
  expect(screen.queryByRole('img', { name: 'big.png' })).toBeNull();
  release();
  await new Promise((r) => setTimeout(r, 50));
  expect(parley.sendRequests).toEqual([]);
  expect(screen.queryByText(/big\.png/)).toBeNull();
});

test('a file over the limit is refused in the composer before anything is uploaded', async () => {
  await start();
  const huge = png('huge.png');
  Object.defineProperty(huge, 'size', { value: MEDIA_MAX_BYTES_DEFAULT + 1 });
  pick(huge);
  expect((await screen.findByRole('alert')).textContent).toBe('huge.png: A file can be at most 25 MB; this one is 25 MB.');
  expect(screen.queryByRole('group', { name: 'Attachment' })).toBeNull();
  expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send' }).disabled).toBe(true);
  expect(parley.media.uploads).toEqual([]);
});

test('a pasted file is attached; a refused one shows the server’s reason with Retry', async () => {
  await start();
  parley.media.refuseNext(415, 'That type of file cannot be sent.');
  const pdf = new File(['%PDF-1.4'], 'report.pdf', { type: 'application/pdf' });
  fireEvent.paste(composer(), { clipboardData: { files: [pdf], types: ['Files'] } });
  expect(within(screen.getByRole('group', { name: 'Attachment' })).getByText('report.pdf')).toBeTruthy();
  fireEvent.click(screen.getByRole('button', { name: 'Send' }));
  expect((await screen.findByText(/Not sent: That type of file cannot be sent\./)).textContent).toBeTruthy();
  expect(parley.sendRequests).toEqual([]);

  fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
  const link = await screen.findByRole<HTMLAnchorElement>('link', { name: 'report.pdf' });
  expect(link.getAttribute('download')).toBe('report.pdf');
  expect(link.closest('.attachment')?.textContent).toContain('8 B · PDF document');
  expect(parley.sendRequests).toHaveLength(1);
});

test('files dropped onto the chat are attached (the first one; the others are named as left out)', async () => {
  await start();
  const pane = screen.getByRole('region', { name: '#general' });
  const files = [new File(['a'], 'one.txt', { type: 'text/plain' }), new File(['b'], 'two.txt', { type: 'text/plain' })];
  fireEvent.dragEnter(pane, { dataTransfer: { files, types: ['Files'] } });
  expect(screen.getByText('Drop to attach')).toBeTruthy();
  fireEvent.drop(pane, { dataTransfer: { files, types: ['Files'] } });
  expect(screen.queryByText('Drop to attach')).toBeNull();
  expect(within(screen.getByRole('group', { name: 'Attachment' })).getByText('one.txt')).toBeTruthy();
  expect(screen.getByRole('alert').textContent).toBe('One file per message: one.txt is attached, the others are not.');
  fireEvent.click(screen.getByRole('button', { name: 'Remove one.txt' }));
  expect(screen.queryByRole('group', { name: 'Attachment' })).toBeNull();
});

test('offline, a file waits with its message (“Waiting for the connection”), then goes out once with it', async () => {
  const app = await start();
  app.goOffline();
  pick(new File(['%PDF-1.4 offline'], 'minutes.pdf', { type: 'application/pdf' }));
  fireEvent.change(composer(), { target: { value: 'for later' } });
  fireEvent.keyDown(composer(), { key: 'Enter' });
  expect(await screen.findByText(/Waiting for the connection/)).toBeTruthy();
  // This device's copy: its name, size and type, no link yet (nothing on the server).
  expect(screen.getByText('minutes.pdf').closest('a')).toBeNull();
  expect(parley.media.uploads).toEqual([]);

  app.goOnline();
  const link = await screen.findByRole('link', { name: 'minutes.pdf' }, { timeout: 10_000 });
  expect(link.getAttribute('href')).toMatch(new RegExp(`/media/${ACME.id}/${parley.media.uploads[0]}$`));
  expect(parley.media.uploads).toHaveLength(1);
  expect(parley.sendRequests).toMatchObject([{ body: 'for later', mediaId: parley.media.uploads[0] }]);
});
