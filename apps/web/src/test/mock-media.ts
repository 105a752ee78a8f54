import { http, HttpResponse, type RequestHandler } from 'msw';
import type { AttachmentDto } from '@parley/client';

/** A 1×1 transparent PNG: what the mocked server serves for every image and thumbnail. */
const PIXEL_PNG = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='), (c) => c.charCodeAt(0));

/**
 * The media routes of the mocked server: `POST /media/<pid>/<roomId>/<mediaId>` stores a file
 * once per mediaId (a repeat answers the stored record), `GET /media/<pid>/<id>[/thumb]` serves
 * it. Images are told apart by the name here (the real server reads the bytes) and are
 * 640×480. Tests can hold uploads (`hold()`) or refuse the next one (`refuseNext`).
 */
export class MockMedia {
  readonly stored = new Map<string, AttachmentDto>();
  /** Upload requests that reached the server (retries included), by mediaId. */
  readonly uploads: string[] = [];
  #gate: Promise<void> | null = null;
  #refusal: { status: number; message: string } | null = null;

  /** Uploads wait (before anything is stored) until the returned function is called. */
  hold(): () => void {
    let open!: () => void;
    this.#gate = new Promise<void>((resolve) => (open = resolve));
    return () => {
      this.#gate = null;
      open();
    };
  }

  refuseNext(status: number, message: string): void {
    this.#refusal = { status, message };
  }

  /** The record a `message.send` with this mediaId carries (null when none was uploaded). */
  attachment(mediaId: string | undefined): AttachmentDto | null {
    return mediaId ? (this.stored.get(mediaId) ?? null) : null;
  }

  handlers(origin: string): RequestHandler[] {
    return [
      http.post(`${origin}/media/:partitionId/:roomId/:mediaId`, async ({ request, params }) => {
        const mediaId = String(params.mediaId);
        this.uploads.push(mediaId);
        const bytes = await request.arrayBuffer();
        await this.#gate;
        const refusal = this.#refusal;
        if (refusal) {
          this.#refusal = null;
          return HttpResponse.json({ error: { message: refusal.message, httpStatus: refusal.status } }, { status: refusal.status });
        }
        const filename = decodeURIComponent(request.headers.get('x-filename') ?? 'file');
        const image = /\.(png|jpe?g|gif|webp)$/i.test(filename);
        const dto: AttachmentDto = this.stored.get(mediaId) ?? {
          id: mediaId,
          roomId: String(params.roomId),
          filename,
          mimeType: image ? 'image/png' : 'application/pdf',
          sizeBytes: bytes.byteLength,
          width: image ? 640 : null,
          height: image ? 480 : null,
          hasThumb: image,
        };
        this.stored.set(mediaId, dto);
        return HttpResponse.json(dto);
      }),
      http.get(`${origin}/media/:partitionId/:mediaId/thumb`, () => new HttpResponse(PIXEL_PNG, { headers: { 'content-type': 'image/png' } })),
      http.get(`${origin}/media/:partitionId/:mediaId`, () => new HttpResponse(PIXEL_PNG, { headers: { 'content-type': 'image/png' } })),
    ];
  }
}
