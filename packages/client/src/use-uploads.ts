import { useCallback, useSyncExternalStore } from 'react';
import type { ParleyClient } from './create-client.ts';
import type { UploadProgress } from './upload-store.ts';

/** A waiting file as a message row shows it: its upload's progress and a local preview. */
export interface UploadView {
  /** Bytes sent of the total while it goes up; null while it waits or once it is stored. */
  readonly progress: UploadProgress | null;
  /** This device's copy of an image (an object URL) until the server's thumbnail takes over; null otherwise. */
  readonly previewUrl: string | null;
}

/** `useUpload` for a given client (`react.ts` binds it to the provider's). */
export function useUploadWith(client: ParleyClient, mediaId: string | null, mimeType: string): UploadView {
  const { uploads } = client;
  const progress = useSyncExternalStore(
    uploads.subscribe,
    () => (mediaId ? (uploads.getProgress(mediaId) ?? null) : null),
    () => null,
  );
  const previewUrl = useSyncExternalStore(
    uploads.subscribe,
    useCallback(() => (mediaId ? uploads.previewUrl(mediaId, mimeType) : null), [uploads, mediaId, mimeType]),
    () => null,
  );
  return { progress, previewUrl };
}
