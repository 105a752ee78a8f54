import sharp from 'sharp';
import { SAFE_IMAGE_TYPES } from './media.typing.ts';

/** A thumbnail fits in a square of this many pixels (never enlarged). */
export const THUMB_MAX_PX = 320;
/** An avatar is this many pixels square. */
export const AVATAR_PX = 256;
/**
 * Largest image sharp is asked to decode (pixels): a small file can claim a huge canvas (a
 * decompression bomb); sharp refuses past it instead of allocating gigabytes. 50 megapixels
 * covers any phone camera.
 */
export const MAX_INPUT_PIXELS = 50_000_000;

const input = (bytes: Uint8Array) => sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' });

export interface ImageFacts {
  width: number;
  height: number;
  /** WebP, at most {@link THUMB_MAX_PX} a side. */
  thumb: Buffer;
}

/**
 * An image's displayed size (EXIF orientation applied) and its thumbnail; null when `mimeType`
 * is not a safe raster type or the bytes do not decode (then it is kept as a plain file).
 */
export async function describeImage(bytes: Uint8Array, mimeType: string): Promise<ImageFacts | null> {
  if (!SAFE_IMAGE_TYPES.has(mimeType)) return null;
  try {
    const meta = await input(bytes).metadata();
    if (!meta.width || !meta.height) return null;
    // Orientations 5–8 turn the picture a quarter: its displayed width is the stored height.
    const turned = (meta.orientation ?? 1) >= 5;
    const thumb = await input(bytes).rotate().resize(THUMB_MAX_PX, THUMB_MAX_PX, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 75 }).toBuffer();
    return { width: turned ? meta.height : meta.width, height: turned ? meta.width : meta.height, thumb };
  } catch {
    return null;
  }
}

/** An avatar: the middle of the picture, {@link AVATAR_PX} square, WebP. Throws when the bytes do not decode. */
export function makeAvatar(bytes: Uint8Array): Promise<Buffer> {
  return input(bytes).rotate().resize(AVATAR_PX, AVATAR_PX, { fit: 'cover' }).webp({ quality: 80 }).toBuffer();
}
