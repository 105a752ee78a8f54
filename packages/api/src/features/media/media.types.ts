/** An attachment as the server describes it: a message's `attachment`, and the answer to an upload. */
export interface AttachmentDto {
  id: string;
  /** The room it was uploaded for: only that room's members may download it. */
  roomId: string;
  /** The uploader's name for it (sanitised); a download suggests it. */
  filename: string;
  /** Decided from the bytes, never from the name or the request's headers; `application/octet-stream` when unknown. */
  mimeType: string;
  sizeBytes: number;
  /** Pixels, for images (null otherwise). */
  width: number | null;
  height: number | null;
  /** A thumbnail (WebP, at most 320 px a side) is served at `/media/<partitionId>/<id>/thumb`. */
  hasThumb: boolean;
}

/** An uploaded avatar: `GET /avatar/<id>`; the profile's mutation makes it the user's. */
export interface AvatarUploadDto {
  id: string;
}
