import { fileTypeFromBuffer } from 'file-type';
import { MEDIA_FILENAME_MAX_CHARS } from '@parley/rules';

/** What a file whose type the bytes do not tell is stored and served as. */
export const UNKNOWN_TYPE = 'application/octet-stream';

/**
 * Raster images a browser shows without running anything: these alone are served `inline`, made
 * into thumbnails and accepted as avatars. SVG is not among them (it can carry script), nor is
 * anything sharp could decode beyond these (its other decoders are more attack surface).
 */
export const SAFE_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * The type of `bytes`, from their content alone (magic numbers): the name and the request's
 * Content-Type are the uploader's word and are ignored. Text, HTML and SVG have no magic number
 * file-type trusts, so they come out as {@link UNKNOWN_TYPE}, and are served as such.
 */
export async function sniffType(bytes: Uint8Array): Promise<string> {
  const found = await fileTypeFromBuffer(bytes);
  return found?.mime ?? UNKNOWN_TYPE;
}

/**
 * A file name fit to store and to put in a header: the `X-Filename` header's value decoded
 * (encodeURIComponent), control characters, path separators and characters Windows forbids
 * replaced, leading dots and surrounding spaces removed, at most {@link MEDIA_FILENAME_MAX_CHARS}
 * characters (a longer name is refused: the caller says so). `file` when nothing is left.
 */
export function sanitizeFilename(header: string | undefined): { ok: true; filename: string } | { ok: false; message: string } {
  let decoded = '';
  if (header) {
    try {
      decoded = decodeURIComponent(header);
    } catch {
      return { ok: false, message: 'X-Filename must be the file name encoded with encodeURIComponent.' };
    }
  }
  if (decoded.length > MEDIA_FILENAME_MAX_CHARS) {
    return { ok: false, message: `A file name can be at most ${MEDIA_FILENAME_MAX_CHARS} characters.` };
  }
  const cleaned = decoded
    // eslint-disable-next-line no-control-regex -- control characters are what is being removed.
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\\/:*?"<>|]/g, '_')
    // A lone surrogate cannot be stored (jsonb) or encoded in a header.
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .trim()
    .replace(/^\.+/, '')
    .trim();
  return { ok: true, filename: cleaned || 'file' };
}

/**
 * The Content-Type and Content-Disposition a stored file is served with: a safe raster image
 * inline as itself; anything else as a download (`attachment`), and anything a browser could
 * run or render as a document (HTML, SVG, XML, JavaScript, PDF…) as `application/octet-stream`.
 * With `nosniff` and the sandboxing CSP (set by the caller) nothing uploaded runs in Parley's origin.
 */
export function servingHeaders(mimeType: string, filename: string): { contentType: string; disposition: string } {
  const inline = SAFE_IMAGE_TYPES.has(mimeType);
  const contentType = inline || isInertDownload(mimeType) ? mimeType : UNKNOWN_TYPE;
  return { contentType, disposition: contentDisposition(inline ? 'inline' : 'attachment', filename) };
}

/** Types a browser only ever saves or plays, never renders as a page: served as themselves. */
function isInertDownload(mimeType: string): boolean {
  return /^(audio|video)\//.test(mimeType) || /^application\/(zip|gzip|x-7z-compressed|x-tar|x-bzip2|vnd\.rar)$/.test(mimeType);
}

/** RFC 6266: an ASCII fallback name and the exact one in `filename*` (RFC 5987). */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
