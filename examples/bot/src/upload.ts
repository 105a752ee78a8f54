import { uuidv7 } from 'uuidv7';

/** What the server says about a stored upload (`AttachmentDto` of @parley/api). */
export interface UploadedMedia {
  id: string;
  roomId: string;
  filename: string;
  mimeType: string;
  sizeBytes: number;
}

/**
 * Uploads a file to a room from Node: `POST /media/<partitionId>/<roomId>/<mediaId>` with the
 * bytes as the body and the bearer token. The media id is made here (a UUIDv7) unless given: pass
 * the same one to retry after a lost answer, the server then returns the stored record.
 * @example
 * ```ts
 * const media = await uploadMedia('http://localhost:3000', token, { partitionId, roomId, filename: 'a.txt', bytes });
 * await client.trpc.message.send.mutate({ partitionId, roomId, clientId: uuidv7(), body: '', mediaId: media.id });
 * ```
 */
export async function uploadMedia(
  baseUrl: string,
  token: string,
  file: { partitionId: string; roomId: string; filename: string; bytes: Uint8Array; mediaId?: string },
): Promise<UploadedMedia> {
  const mediaId = file.mediaId ?? uuidv7();
  const url = new URL(`/media/${encodeURIComponent(file.partitionId)}/${encodeURIComponent(file.roomId)}/${mediaId}`, baseUrl);
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-filename': encodeURIComponent(file.filename), 'content-type': 'application/octet-stream' },
    body: file.bytes as Uint8Array<ArrayBuffer>,
  });
  const text = await res.text();
  if (!res.ok) {
    let message = `the upload failed (${res.status})`;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(message);
  }
  return JSON.parse(text) as UploadedMedia;
}
